"""A charge policy per category: measured use, booked time or the greater of the two; missed
bookings billed as a fee or as the booked time, shown on the statement (both databases)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session

from fabdesk.accounting import post_usage_charge
from fabdesk.accounting.missed import post_missed_bookings
from fabdesk.accounting.pricing import PriceRules, SessionFacts, price_session
from fabdesk.accounting.statements import maker_statement
from fabdesk.models import Booking, BookingState, Equipment, Maker, Site, id_of
from fabdesk.settings import AccountingSettings, ChargePolicySettings, SchedulerSettings
from tests.accounting.factories import Lab, add_maker, add_usage, at


def _rules(**policies: ChargePolicySettings) -> PriceRules:
    return PriceRules.from_settings(
        AccountingSettings(charge_policies=policies), SchedulerSettings().timezone
    )


@pytest.mark.parametrize(
    ("basis", "active", "booked", "cents"),
    [
        ("measured", 1800, 3600, 1500),
        ("booked", 1800, 3600, 3000),
        ("booked", 1800, None, 1500),  # no booking: measured
        ("greater", 1800, 3600, 3000),
        ("greater", 5400, 3600, 4500),
    ],
)
def test_the_basis_of_a_charge(basis: str, active: int, booked: int | None, cents: int) -> None:
    rules = _rules(laser=ChargePolicySettings(basis=basis))
    facts = SessionFacts(active, 3000, category_code="laser", booked_seconds=booked)
    assert price_session(facts, rules).total == cents


def _booking(
    session: Session,
    machine: Equipment,
    maker: Maker,
    start: datetime,
    end: datetime,
    state: BookingState,
) -> Booking:
    booking = Booking(
        equipment_id=id_of(machine),
        maker_id=id_of(maker),
        starts_at=start,
        ends_at=end,
        blocked_until=end,
        created_at=at("2026-11-01 08:00"),
        state=state,
    )
    session.add(booking)
    session.flush()
    return booking


def test_a_session_in_a_booking_charged_the_greater(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "P1")
    booking = _booking(session, lab.laser, maker, at("2026-11-05 09:00"), at("2026-11-05 10:00"),
                       BookingState.COMPLETED)  # fmt: skip
    usage = add_usage(
        session, lab.laser, maker, ended_at=at("2026-11-05 09:40"), active_seconds=1200
    )
    usage.booking_id = id_of(booking)
    session.add(usage)
    session.flush()
    rules = _rules(laser=ChargePolicySettings(basis="greater"))
    post_usage_charge(session, id_of(usage), now=at("2026-11-05 12:00"), rules=rules)
    [line] = maker_statement(session, "P1", "2026-11").lines
    assert (line.minutes, line.total_cents) == (60, 3000)


def test_a_missed_booking_says_its_times_in_the_zone_of_the_machines_site(
    session: Session, lab: Lab
) -> None:
    site = session.get_one(Site, lab.laser.site_id)
    site.timezone = "Europe/London"
    session.add(site)
    maker = add_maker(session, "P3")
    _booking(session, lab.laser, maker, at("2026-11-05 09:00"), at("2026-11-05 10:00"),
             BookingState.NO_SHOW)  # fmt: skip
    rules = _rules(laser=ChargePolicySettings(missed_booking="booked"))
    assert post_missed_bookings(session, now=at("2026-11-08 12:00"), rules=rules) == 1
    [line] = maker_statement(session, "P3", "2026-11").lines
    assert line.description == "missed booking CF1-LAS-01 09:00-10:00"  # London: UTC+0


def test_missed_bookings_billed_as_a_fee_or_the_booked_time(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "P2")
    _booking(session, lab.laser, maker, at("2026-11-05 09:00"), at("2026-11-05 10:00"),
             BookingState.NO_SHOW)  # fmt: skip
    _booking(session, lab.vinyl, maker, at("2026-11-06 09:00"), at("2026-11-06 09:30"),
             BookingState.NO_SHOW)  # fmt: skip
    _booking(
        session,
        lab.printer,
        maker,
        at("2026-11-07 09:00"),
        at("2026-11-07 10:00"),
        BookingState.NO_SHOW,
    )  # fmt: skip  (the printer's category: free)
    rules = _rules(
        laser=ChargePolicySettings(missed_booking="fee", missed_booking_fee_cents=1000),
        vinyl=ChargePolicySettings(missed_booking="booked"),
    )
    assert post_missed_bookings(session, now=at("2026-11-04 12:00"), rules=rules) == 0
    assert post_missed_bookings(session, now=at("2026-11-08 12:00"), rules=rules) == 2
    assert post_missed_bookings(session, now=at("2026-11-08 13:00"), rules=rules) == 0
    lines = maker_statement(session, "P2", "2026-11").lines
    assert [(line.description, line.total_cents, line.maker_cents) for line in lines] == [
        ("missed booking CF1-LAS-01 10:00-11:00", 1000, 1000),
        ("missed booking CF1-VIN-01 10:00-10:30", 600, 600),  # 2 quarters at €12/h
    ]
    assert lines[0].vat_cents == 174  # 1000 x 21 / 121 = 173.55
