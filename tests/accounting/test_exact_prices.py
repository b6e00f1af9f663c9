"""Exact prices: each worked example of docs/accounting.md, the cents the issue found short, the
exact cost price (the Hypothesis property against `fractions.Fraction` is in test_money.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from sqlmodel import Session

from fabdesk.accounting.coinvest import split_revenue
from fabdesk.accounting.pricing import (
    ChequeFunds,
    PriceRules,
    SessionFacts,
    plan_cheque_spend,
    price_session,
)
from fabdesk.accounting.reports import cost_report
from fabdesk.models import EquipmentCost, id_of
from fabdesk.money import cents_of
from tests.accounting.factories import ZONE, Lab, add_usage, at

_DOC = Path(__file__).parents[2] / "docs" / "accounting.md"
_RULES = PriceRules.default()


def _worked_rows() -> list[list[str]]:
    lines = _DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| example |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _cents(euros: str) -> int:
    return int(Decimal(euros) * 100)


@pytest.mark.parametrize("row", _worked_rows(), ids=lambda row: row[0][:40])
def test_worked_example_of_the_docs(row: list[str]) -> None:
    _name, rate, seconds, unit, minimum, tier, grams, time, material, total, vat = row
    price = price_session(
        SessionFacts(
            active_seconds=float(seconds),
            rate_cents_per_hour=_cents(rate),
            billing_unit_minutes=int(unit),
            minimum_charge_cents=_cents(minimum),
            category_code="fdm" if grams != "-" else "laser",
            tier=tier,
            material_g=float(grams) if grams != "-" else None,
        ),
        _RULES,
    )
    assert (price.time, price.material, price.total, price.vat) == (
        _cents(time),
        _cents(material),
        _cents(total),
        _cents(vat),
    )


def test_the_worked_examples_are_there() -> None:
    assert len(_worked_rows()) >= 8


def test_a_cheque_crossing_its_limit_and_a_second_cheque() -> None:
    first = ChequeFunds(1, remaining=1000, copay_basis_points=2000, expires_on=date(2026, 12, 1))
    second = ChequeFunds(2, remaining=5000, copay_basis_points=2000, expires_on=date(2026, 12, 31))
    assert sum(s.amount for s in plan_cheque_spend(1850, [first])) == 1850 - 850
    spends = plan_cheque_spend(1850, [second, first])
    assert [(s.cheque_id, s.amount) for s in spends] == [(1, 1000), (2, 480)]
    assert 1850 - sum(s.amount for s in spends) == 370


def test_the_coinvestor_split_of_the_docs() -> None:
    split = split_revenue(1529, [(1, 5000), (2, 3000), (3, 2000)])
    assert split.investors == [(1, 764), (2, 459), (3, 306)]


def test_the_cents_the_issue_found_short() -> None:
    def time_of(rate: int, seconds: int) -> int:
        return price_session(
            SessionFacts(active_seconds=seconds, rate_cents_per_hour=rate), _RULES
        ).time

    assert time_of(1250, 180) == 63
    assert time_of(1250, 1260) == 438
    assert cents_of(Fraction(-1, 2)) == -1
    assert cents_of(Decimal("0.4999")) == 0


def test_the_cost_price_is_exact(session: Session, lab: Lab) -> None:
    """€4,000.01 of costs over 2 h of use is €2,000.01 an hour (a float's round() gave 2000.00)."""
    session.add(EquipmentCost(equipment_id=id_of(lab.laser), year=2026, maintenance_cents=400001))
    add_usage(session, lab.laser, None, ended_at=at("2026-11-05 14:00"), active_seconds=7200)
    row = next(r for r in cost_report(session, 2026, zone=ZONE).rows if r[2] == "CF1-LAS-01")
    assert row[3:6] == ["4000.01", "2.00", "2000.01"]
