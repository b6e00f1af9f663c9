"""The price of one usage session, and how cheques pay for it (pure: values in, values out).

Machine time: the active time is billed per started unit (`billing_unit_minutes`, one minute by
default) at the machine's hourly rate, VAT included (rate x billed minutes / 60); the maker's
tier reduces it, a co-investor's usage rights reduce it further within their yearly hours, and
the minimum charge applies after that. Material: grams (measured, or weighed from filament
length, diameter and density) at the price per kilogram of the machine category's material.
Each line is computed as an exact fraction (`fractions.Fraction`: no float, no rounded
division) and rounded once to the cent, half away from zero (`fabdesk.money`); VAT is the
included part of the total, rounded once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from fabdesk.money import cents_of, split_included_vat
from fabdesk.settings import (
    AccountingSettings,
    ChargePolicySettings,
    MaterialSettings,
    SchedulerSettings,
)

__all__ = [
    "ChequeFunds",
    "ChequeSpend",
    "Price",
    "PriceRules",
    "SessionFacts",
    "billed_units",
    "filament_grams",
    "plan_cheque_spend",
    "price_missed_booking",
    "price_session",
]

_PI = Decimal("3.14159265358979323846")


@dataclass(frozen=True)
class PriceRules:
    """The settings pricing needs, as plain values."""

    vat_rate: Decimal = Decimal("0.21")
    tier_discounts: dict[str, Decimal] = field(default_factory=dict)
    usage_rights_discount: Decimal = Decimal(1)
    materials: dict[str, MaterialSettings] = field(default_factory=dict)
    policies: dict[str, ChargePolicySettings] = field(default_factory=dict)
    zone: ZoneInfo = field(kw_only=True)
    """The ledger's zone (`scheduler.timezone`): the month of `now` when a charge's own month
    is closed, and the days and months a period close reads."""

    @classmethod
    def from_settings(cls, settings: AccountingSettings, timezone: str) -> PriceRules:
        """The rules of `settings`, with the ledger's zone (`scheduler.timezone`)."""
        return cls(
            vat_rate=settings.vat_rate,
            tier_discounts=dict(settings.tier_discounts),
            usage_rights_discount=settings.usage_rights_discount,
            materials=dict(settings.materials),
            policies=dict(settings.charge_policies),
            zone=ZoneInfo(timezone),
        )

    def policy(self, category_code: str) -> ChargePolicySettings:
        """The charge policy of a category (measured use, missed bookings free, by default)."""
        return self.policies.get(category_code) or ChargePolicySettings()

    @classmethod
    def default(cls) -> PriceRules:
        """The rules of the default settings (tests and benchmarks)."""
        return cls.from_settings(AccountingSettings(), SchedulerSettings().timezone)


@dataclass(frozen=True)
class SessionFacts:
    """What pricing needs to know about one session, its machine and its maker."""

    active_seconds: float
    rate_cents_per_hour: int
    billing_unit_minutes: int = 1
    minimum_charge_cents: int = 0
    category_code: str = ""
    tier: str = "standard"
    material_g: float | None = None
    material_mm: float | None = None
    rights_seconds: float = 0
    """Part of the active time inside a co-investor's usage rights."""
    booked_seconds: float | None = None
    """The length of the booking the session ran in (None: no booking)."""


def charged_seconds(facts: SessionFacts, policy: ChargePolicySettings) -> float:
    """The time a session is charged for under its category's policy."""
    if facts.booked_seconds is None or policy.basis == "measured":
        return facts.active_seconds
    if policy.basis == "booked":
        return facts.booked_seconds
    return max(facts.active_seconds, facts.booked_seconds)


@dataclass(frozen=True)
class Price:
    """A priced session, in cents. `total` = `time` + `material`; VAT is included in `total`."""

    billed_minutes: int
    time: int
    material: int
    material_grams: Decimal
    material_cost: int
    total: int
    vat: int

    @property
    def net(self) -> int:
        """The total without VAT."""
        return self.total - self.vat

    @property
    def distributable(self) -> int:
        """Revenue for co-investors: net of VAT and of material at cost (never below 0)."""
        return max(0, self.net - self.material_cost)


def billed_units(active_seconds: float, unit_minutes: int) -> int:
    """Started units of `unit_minutes` in `active_seconds` (a whole second counts as started)."""
    seconds = math.ceil(round(active_seconds, 3))
    return -(-seconds // (unit_minutes * 60))


def filament_grams(length_mm: float, material: MaterialSettings) -> Decimal:
    """Weight of `length_mm` of filament: cross-section x length x density."""
    radius = material.diameter_mm / 2
    volume_cm3 = _PI * radius * radius * Decimal(str(length_mm)) / 1000
    return volume_cm3 * material.density_g_per_cm3


def price_session(facts: SessionFacts, rules: PriceRules) -> Price:
    """The price of one finished session under `rules`."""
    units = billed_units(
        charged_seconds(facts, rules.policy(facts.category_code)), facts.billing_unit_minutes
    )
    minutes = units * facts.billing_unit_minutes
    rights_units = min(units, billed_units(facts.rights_seconds, facts.billing_unit_minutes))
    tier_factor = 1 - Fraction(rules.tier_discounts.get(facts.tier, Decimal(0)))
    rights_factor = tier_factor * (1 - Fraction(rules.usage_rights_discount))
    unit_price = Fraction(facts.rate_cents_per_hour * facts.billing_unit_minutes, 60)
    time_exact = unit_price * (units - rights_units) * tier_factor
    time_exact += unit_price * rights_units * rights_factor
    time_cents = cents_of(time_exact)
    if units > 0:
        time_cents = max(time_cents, facts.minimum_charge_cents)
    material = rules.materials.get(facts.category_code)
    grams = Decimal(0)
    material_cents = material_cost = 0
    if material is not None:
        if facts.material_g is not None:
            grams = Decimal(str(facts.material_g))
        elif facts.material_mm is not None:
            grams = filament_grams(facts.material_mm, material)
        material_cents = cents_of(Fraction(grams) * Fraction(material.price_cents_per_kg) / 1000)
        material_cost = cents_of(Fraction(grams) * Fraction(material.cost_cents_per_kg) / 1000)
    total = time_cents + material_cents
    _net, vat = split_included_vat(total, rules.vat_rate)
    return Price(
        billed_minutes=minutes,
        time=time_cents,
        material=material_cents,
        material_grams=grams,
        material_cost=material_cost,
        total=total,
        vat=vat,
    )


def price_missed_booking(facts: SessionFacts, rules: PriceRules) -> Price | None:
    """What a booking released as a no-show costs under its category's policy (`facts` with
    `booked_seconds`; no material, no usage rights): None when missed bookings are free."""
    policy = rules.policy(facts.category_code)
    if policy.missed_booking == "free" or facts.booked_seconds is None:
        return None
    if policy.missed_booking == "booked":
        return price_session(
            SessionFacts(
                active_seconds=facts.booked_seconds,
                rate_cents_per_hour=facts.rate_cents_per_hour,
                billing_unit_minutes=facts.billing_unit_minutes,
                minimum_charge_cents=facts.minimum_charge_cents,
                tier=facts.tier,
            ),
            rules,
        )
    fee = policy.missed_booking_fee_cents
    _net, vat = split_included_vat(fee, rules.vat_rate)
    return Price(0, fee, 0, Decimal(0), 0, fee, vat)


@dataclass(frozen=True)
class ChequeFunds:
    """A cheque that may pay for a charge: what is left on it and the share the maker still pays."""

    cheque_id: int
    remaining: int
    copay_basis_points: int
    expires_on: date


@dataclass(frozen=True)
class ChequeSpend:
    cheque_id: int
    amount: int


def plan_cheque_spend(total: int, cheques: Sequence[ChequeFunds]) -> list[ChequeSpend]:
    """Which cheques pay how much of a `total` charge: soonest expiry first (then lowest id).

    A cheque pays its programme's share (1 - co-payment) of the part of the charge it covers; when
    its value runs out, it covers only the part its value pays for (partly), and the next cheque
    takes the rest. Never more than a cheque holds, never more than the charge.
    """
    spends: list[ChequeSpend] = []
    open_amount = total
    for cheque in sorted(cheques, key=lambda c: (c.expires_on, c.cheque_id)):
        if open_amount <= 0:
            break
        share = Fraction(10000 - cheque.copay_basis_points, 10000)
        if cheque.remaining <= 0 or share <= 0:
            continue
        wanted = cents_of(open_amount * share)
        pay = min(wanted, cheque.remaining)
        if pay <= 0:
            continue
        covered = open_amount if pay == wanted else min(open_amount, cents_of(pay / share))
        spends.append(ChequeSpend(cheque.cheque_id, pay))
        open_amount -= covered
    return spends
