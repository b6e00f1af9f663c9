"""Pure money rules: rounding once, exact allocation, pricing lines, cheque spending order."""

from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fabdesk.accounting.coinvest import split_revenue
from fabdesk.accounting.pricing import (
    ChequeFunds,
    PriceRules,
    SessionFacts,
    billed_units,
    plan_cheque_spend,
    price_session,
)
from fabdesk.money import allocate, format_cents, split_included_vat, to_cents


def test_rounding_is_half_away_from_zero_once() -> None:
    assert to_cents(Decimal("0.005")) == 1
    assert to_cents(Decimal("-0.005")) == -1
    assert to_cents(Decimal("0.0049")) == 0
    assert split_included_vat(1850, Decimal("0.21")) == (1529, 321)
    assert format_cents(-5) == "-€0.05"
    assert format_cents(123456) == "€1234.56"


def test_allocate_gives_leftover_cents_to_the_largest_remainders_then_the_first() -> None:
    assert allocate(1529, [5000, 3000, 2000]) == [764, 459, 306]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(-1529, [5000, 3000, 2000]) == [-764, -459, -306]
    assert allocate(0, [0, 0]) == [0, 0]
    with pytest.raises(ValueError, match="zero weights"):
        allocate(5, [0])
    with pytest.raises(ValueError, match="negative"):
        allocate(5, [-1, 2])


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(any),
)
def test_allocations_add_up_exactly_and_stay_within_a_cent(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part * whole - total * weight) < whole  # within one cent of the exact share
    assert allocate(total, weights) == parts  # deterministic


@given(
    st.integers(min_value=0, max_value=10**9),
    st.lists(st.integers(min_value=1, max_value=5000), max_size=4, unique=True).flatmap(
        lambda ids: st.lists(
            st.integers(min_value=1, max_value=2500), min_size=len(ids), max_size=len(ids)
        ).map(lambda points: list(zip(ids, points, strict=True)))
    ),
)
def test_revenue_splits_add_up_and_the_lab_keeps_the_rest(
    amount: int, shares: list[tuple[int, int]]
) -> None:
    split = split_revenue(amount, shares)
    assert sum(part for _investor, part in split.investors) + split.lab == amount
    if not shares:
        assert split.lab == amount


def test_started_units_and_a_zero_length_session() -> None:
    assert billed_units(0, 1) == 0
    assert billed_units(0.2, 1) == 1
    assert billed_units(60, 1) == 1
    assert billed_units(60.4, 1) == 2
    assert billed_units(901, 15) == 2
    price = price_session(
        SessionFacts(active_seconds=0, rate_cents_per_hour=3000, minimum_charge_cents=100),
        PriceRules.default(),
    )
    assert price.total == 0  # nothing ran, so no minimum charge


@given(
    st.floats(min_value=0, max_value=86400 * 3, allow_nan=False),
    st.integers(min_value=0, max_value=100_000),
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=0, max_value=5000),
    st.sampled_from(["standard", "student", "nonprofit"]),
    st.one_of(st.none(), st.floats(min_value=0, max_value=5000, allow_nan=False)),
)
def test_prices_are_whole_cents_and_vat_is_part_of_the_total(
    seconds: float, rate: int, unit: int, minimum: int, tier: str, grams: float | None
) -> None:
    price = price_session(
        SessionFacts(
            active_seconds=seconds,
            rate_cents_per_hour=rate,
            billing_unit_minutes=unit,
            minimum_charge_cents=minimum,
            category_code="fdm",
            tier=tier,
            material_g=grams,
        ),
        PriceRules.default(),
    )
    assert price.total == price.time + price.material
    assert 0 <= price.vat <= price.total
    assert 0 <= price.distributable <= price.net
    # Against an independent exact-rational computation (docs/accounting.md: the rounding rule).
    started = math.ceil(Fraction(round(seconds, 3)))
    units = -(-started // (unit * 60))
    discount = {"standard": Fraction(0), "student": Fraction(1, 2), "nonprofit": Fraction(3, 10)}
    time = _half_away(Fraction(rate) * units * unit / 60 * (1 - discount[tier]))
    if units:
        time = max(time, minimum)
    material = _half_away(Fraction(str(grams)) * 4000 / 1000) if grams is not None else 0
    assert (price.time, price.material) == (time, material)
    assert price.vat == _half_away(Fraction(time + material) * 21 / 121)


def _half_away(exact: Fraction) -> int:
    """Rounded the schoolbook way, written apart from fabdesk.money on purpose."""
    sign = -1 if exact < 0 else 1
    return sign * math.floor(abs(exact) + Fraction(1, 2))


funds = st.builds(
    ChequeFunds,
    cheque_id=st.integers(min_value=1, max_value=50),
    remaining=st.integers(min_value=0, max_value=20_000),
    copay_basis_points=st.integers(min_value=0, max_value=10000),
    expires_on=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
)


@given(
    st.integers(min_value=0, max_value=100_000),
    st.lists(funds, max_size=6, unique_by=lambda f: f.cheque_id),
)
def test_cheques_never_pay_more_than_they_hold_or_than_the_charge(
    total: int, cheques: list[ChequeFunds]
) -> None:
    spends = plan_cheque_spend(total, cheques)
    held = {cheque.cheque_id: cheque.remaining for cheque in cheques}
    assert sum(spend.amount for spend in spends) <= total
    for spend in spends:
        assert 0 < spend.amount <= held[spend.cheque_id]
    assert len({spend.cheque_id for spend in spends}) == len(spends)


def test_soonest_expiry_pays_first() -> None:
    day = date(2026, 11, 1)
    later = ChequeFunds(1, 10_000, 2000, day + timedelta(days=30))
    sooner = ChequeFunds(2, 10_000, 2000, day)
    assert [s.cheque_id for s in plan_cheque_spend(1000, [later, sooner])] == [2]
