"""The ledger's days and months are those of the configured zone, never a zone written in the
code: a usage is dated on its machine's site's calendar (`sites.timezone`), and what has no
machine (a payment, a month's bounds, the day a back-office run acts on) on the network's
(`scheduler.timezone`). A lab in New York, 23:30 on 30 November: still November there, though
it is 1 December in Brussels and in UTC. Both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from fabdesk.accounting import post_pending_charges
from fabdesk.accounting.charges import record_payment
from fabdesk.accounting.dating import as_of
from fabdesk.accounting.months import ledger_zone, local_day, month_bounds
from fabdesk.accounting.pricing import PriceRules
from fabdesk.models import LedgerTransaction, Site, TransactionKind, UsageCharge, id_of
from fabdesk.settings import load_settings
from tests.accounting.factories import Lab, add_maker, add_usage

LATE = datetime(2026, 12, 1, 4, 30, tzinfo=UTC)
"""23:30 on Monday 30 November in New York (UTC-5); 05:30 on 1 December in Brussels."""
NEW_YORK = load_settings(overrides={"scheduler": {"timezone": "America/New_York"}})


def test_a_late_evening_use_is_dated_on_its_sites_day(session: Session, lab: Lab) -> None:
    site = session.get_one(Site, lab.laser.site_id)
    site.timezone = "America/New_York"
    session.add(site)
    maker = add_maker(session, "Z1")
    add_usage(session, lab.laser, maker, ended_at=LATE, active_seconds=1200)
    rules = PriceRules.from_settings(NEW_YORK.accounting, NEW_YORK.scheduler.timezone)
    assert post_pending_charges(session, now=LATE, rules=rules) == 1
    charge = session.exec(select(UsageCharge)).one()
    assert (charge.occurred_on, charge.month) == (date(2026, 11, 30), "2026-11")


def test_a_payment_and_a_month_follow_the_configured_zone(session: Session, lab: Lab) -> None:
    zone = ledger_zone(NEW_YORK.scheduler)
    assert zone == ZoneInfo("America/New_York")
    maker = add_maker(session, "Z2")
    record_payment(session, maker_id=id_of(maker), cents=500, reference="B-1", now=LATE, zone=zone)
    payment = session.exec(
        select(LedgerTransaction).where(LedgerTransaction.kind == TransactionKind.PAYMENT)
    ).one()
    assert (payment.occurred_on, payment.month) == (date(2026, 11, 30), "2026-11")
    assert local_day(LATE, zone) == date(2026, 11, 30)
    start, end = month_bounds("2026-11", zone)
    assert (start, end) == (
        datetime(2026, 11, 1, 4, tzinfo=UTC),  # midnight in New York (UTC-4 until 1 November)
        datetime(2026, 12, 1, 5, tzinfo=UTC),
    )
    assert start <= LATE < end
    assert as_of(session, date(2026, 11, 30), now=LATE, zone=zone) == LATE  # today there
