"""Money in whole cents, Decimal arithmetic, one rounding rule, and exact allocation (pure).

The rule, stated once: **an amount is computed exactly, as a fraction, and rounded once, to the
cent, half away from zero** (0.005 -> 0.01, -0.005 -> -0.01). `Decimal` inputs (rates, settings)
are turned into `fractions.Fraction` without loss; no division is ever rounded on the way (a
`Decimal` division keeps 28 digits, which turned exact half-cents into a cent less). Every price
line is rounded once with `cents_of`; sums of cents are exact and never rounded again.

Splitting an amount into parts (co-investors, VAT) never creates or loses a cent: `allocate` uses
the largest-remainder method, and ties go to the earlier weight (callers order their weights by a
stable key such as the investor id), so the same inputs always give the same parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from fabdesk.errors import InvalidValue

__all__ = [
    "ROUNDING",
    "allocate",
    "cents_of",
    "format_cents",
    "parse_euros",
    "split_included_vat",
    "to_cents",
]

ROUNDING = ROUND_HALF_UP
"""The one rounding mode of fabdesk: half away from zero, applied once per price line."""

_CENT = Decimal("0.01")


def to_cents(euros: Decimal | Fraction) -> int:
    """`euros` rounded once to the cent by the house rule, as an integer number of cents."""
    return cents_of(Fraction(euros) * 100)


def cents_of(amount_in_cents: Decimal | Fraction | int) -> int:
    """An exact amount in cents (possibly fractional), rounded once: half away from zero."""
    exact = Fraction(amount_in_cents)
    magnitude = (2 * abs(exact.numerator) + exact.denominator) // (2 * exact.denominator)
    return magnitude if exact >= 0 else -magnitude


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` cents in proportion to `weights`, exactly: the parts always sum to `total`.

    Largest remainder: each part is first floored; the cents still missing go one each to the
    parts with the largest remainders, ties to the earlier weight. A negative total is split as
    its opposite and negated, so a reversal mirrors its charge part for part.
    """
    if any(weight < 0 for weight in weights):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total != 0:
            raise ValueError("cannot allocate a non-zero amount over zero weights")
        return [0] * len(weights)
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    floors = [total * weight // weight_sum for weight in weights]
    remainders = [total * weight % weight_sum for weight in weights]
    missing = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in order[:missing]:
        floors[index] += 1
    return floors


def split_included_vat(gross_cents: int, vat_rate: Decimal) -> tuple[int, int]:
    """`(net, vat)` of a VAT-included amount: the VAT is rounded once, the net is the rest."""
    rate = Fraction(vat_rate)
    vat = cents_of(gross_cents * rate / (1 + rate))
    return gross_cents - vat, vat


def format_cents(cents: int, symbol: str = "€") -> str:
    """`1234` -> `€12.34`, `-5` -> `-€0.05`: for statements and screens."""
    sign = "-" if cents < 0 else ""
    amount = (Decimal(abs(cents)) / 100).quantize(_CENT)
    return f"{sign}{symbol}{amount}"


def parse_euros(text: str) -> int:
    """An amount a person typed in euros (`100`, `100.00` or `12,50`) as cents; more than two
    decimals, or not a number, is refused."""
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InvalidValue(
            "{text!r} is not an amount in euros, e.g. 100.00.", text=text, error_code="amount"
        ) from None
    cents = value * 100
    if cents != cents.to_integral_value():
        raise InvalidValue("{text!r} has more than two decimals.", text=text, error_code="amount")
    return int(cents)
