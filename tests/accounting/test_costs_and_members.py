"""Machine costs feed the cost-price report; investor members use its usage rights."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from fabdesk.accounting import post_usage_charge
from fabdesk.accounting.costs import equipment_costs, set_equipment_cost
from fabdesk.accounting.pricing import PriceRules
from fabdesk.accounting.reports import coinvestor_report, cost_report
from fabdesk.errors import InvalidValue, NotFound
from fabdesk.models import UsageCharge, id_of
from inventory.investors import add_member, investor_members, remove_member
from tests.accounting.factories import ZONE, Lab, add_maker, add_usage, at


def test_costs_entered_give_the_cost_price_of_an_hour(session: Session, lab: Lab) -> None:
    lab.laser.acquisition_cost_cents = 2_000_000
    lab.laser.expected_life_years = 5
    session.add(lab.laser)
    maker = add_maker(session, "C1")
    for day in (3, 4):  # 2 x 5 h of laser
        add_usage(
            session, lab.laser, maker, ended_at=at(f"2026-03-0{day} 16:00"), active_seconds=18000
        )
    cost = set_equipment_cost(
        session,
        equipment_id=id_of(lab.laser),
        year=2026,
        maintenance_cents=60_000,
        consumables_cents=40_000,
    )
    assert cost.depreciation_cents == 400_000  # 20,000 EUR over 5 years
    # Entering it again replaces it.
    set_equipment_cost(
        session,
        equipment_id=id_of(lab.laser),
        year=2026,
        depreciation_cents=400_000,
        maintenance_cents=50_000,
        consumables_cents=50_000,
    )
    assert [
        (item.asset_tag, c.maintenance_cents) for item, c in equipment_costs(session, 2026)
    ] == [("CF1-LAS-01", 50_000)]
    row = next(r for r in cost_report(session, 2026, zone=ZONE).rows if r[2] == "CF1-LAS-01")
    # (4,000 + 500 + 500) EUR / 10 h = 500 EUR an hour, against 30 EUR charged.
    assert row[3:7] == ["5000.00", "10.00", "500.00", "30.00"]


def test_bad_costs_are_refused(session: Session, lab: Lab) -> None:
    with pytest.raises(InvalidValue):
        set_equipment_cost(session, equipment_id=id_of(lab.laser), year=26)
    with pytest.raises(InvalidValue):
        set_equipment_cost(session, equipment_id=id_of(lab.laser), year=2026, maintenance_cents=-1)
    with pytest.raises(NotFound):
        set_equipment_cost(session, equipment_id=999_999, year=2026)


def test_members_entered_use_the_usage_rights_and_the_report_counts_them(
    session: Session, lab: Lab
) -> None:
    lab.school.code = "SCHOOL"  # as the cadastre's services write codes
    session.add(lab.school)
    student = add_maker(session, "C2")
    stranger = add_maker(session, "C3")
    add_member(session, "school", id_of(student))
    add_member(session, "SCHOOL", id_of(student))  # twice: no change
    assert [m.member_number for m in investor_members(session, "school")] == ["C2"]
    used = add_usage(
        session, lab.laser, student, ended_at=at("2026-11-05 10:00"), active_seconds=3600
    )
    paid = add_usage(
        session, lab.laser, stranger, ended_at=at("2026-11-05 12:00"), active_seconds=3600
    )
    for usage in (used, paid):
        post_usage_charge(
            session, id_of(usage), now=at("2026-11-06 00:00"), rules=PriceRules.default()
        )
    charges = {c.usage_session_id: c for c in session.exec(select(UsageCharge)).all()}
    assert charges[id_of(used)].rights_seconds == 3600
    assert charges[id_of(used)].time_cents == 0
    assert charges[id_of(paid)].rights_seconds == 0
    assert charges[id_of(paid)].time_cents == 3000
    row = next(r for r in coinvestor_report(session, "2026-11").rows if r[0] == "Erasmus school")
    assert row[4:] == ["1.00", "10"]

    assert remove_member(session, "school", id_of(student))
    assert not remove_member(session, "school", id_of(student))
    with pytest.raises(NotFound):
        add_member(session, "nobody", id_of(student))
    with pytest.raises(NotFound):
        add_member(session, "school", 999_999)
