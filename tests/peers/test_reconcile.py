"""Booked, used, charged per booking, the gaps, the CSV, and the end-to-end path where nobody
checks in at the kiosk."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from fabdesk.accounting.charges import post_pending_charges, post_usage_charge, reverse_charge
from fabdesk.accounting.pricing import PriceRules
from fabdesk.accounting.reconcile import Gap, reconcile, reconciliation_csv
from fabdesk.db import session_scope
from fabdesk.errors import InvalidValue, NotFound
from fabdesk.models import Booking, BookingState, LedgerTransaction, UsageCharge
from fabdesk.settings import SchedulerSettings
from scheduling.attendance import cancel, complete_finished
from scheduling.releases import release_no_shows
from tests.accounting.factories import ZONE
from tests.peers.conftest import charge_of, run_job
from tests.scheduling.conftest import NOW, TOMORROW, World, local
from tests.support.cli import fabdesk

AFTER = local(TOMORROW, 23)


def test_booking_used_idle_and_charged_side_by_side(world: World) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    run_job(world, "A-00001-O", local(TOMORROW, 10, 5), minutes=60, active_minutes=40)
    with session_scope(world.engine) as session:
        report = reconcile(session, "2026-11", now=AFTER, zone=ZONE)
    [row] = report.rows
    assert row.booking_id == booking.id
    assert row.booked_seconds == 2 * 3600
    assert row.sessions == 1
    assert row.busy_seconds == 40 * 60
    assert row.idle_seconds == 20 * 60
    assert row.charged_cents == 2000  # 40 minutes at 30 euros an hour
    assert row.gaps == []


def test_the_gaps_are_listed(world: World) -> None:
    unused = world.book(world.alice, world.laser1, local(TOMORROW, 14), local(TOMORROW, 15))
    beyond = world.book(world.bob, world.laser2, local(TOMORROW, 10), local(TOMORROW, 11))
    cancelled = world.book(world.bob, world.laser1, local(TOMORROW, 17), local(TOMORROW, 18))
    with session_scope(world.engine) as session:
        cancel(
            session,
            booking_id=cancelled.id or 0,
            now=NOW,
            maker_id=world.bob,
            settings=SchedulerSettings(),
        )
    run_job(world, "A-00002-M", local(TOMORROW, 10, 30), minutes=45)
    loose = run_job(world, "B-00001-N", local(TOMORROW, 16), minutes=20)
    assert loose.booking_id is None
    with session_scope(world.engine) as session:
        report = reconcile(session, "2026-11", now=AFTER, zone=ZONE)
        assert {row.booking_id for row in report.rows} == {unused.id, beyond.id, None}
        [row] = report.gaps(Gap.BOOKED_UNUSED)
        assert row.booking_id == unused.id
        [row] = report.gaps(Gap.USED_BEYOND_BOOKING)
        assert row.booking_id == beyond.id
        assert row.beyond_seconds == 15 * 60
        [row] = report.gaps(Gap.USED_WITHOUT_BOOKING)
        assert (row.machine, row.maker, row.busy_seconds) == ("B-00001-N", "", 20 * 60)
        # before the booking's time is over, an unused booking is no gap yet
        early = reconcile(session, "2026-11", now=local(TOMORROW, 14, 30), zone=ZONE)
        assert early.gaps(Gap.BOOKED_UNUSED) == []
        by_site = reconcile(session, "2026-11", now=AFTER, site_code="lab-a", zone=ZONE)
        assert by_site.gaps(Gap.USED_WITHOUT_BOOKING) == []
        assert reconcile(session, "2026-12", now=AFTER, zone=ZONE).rows == []


def test_a_reversed_charge_nets_to_nothing(world: World) -> None:
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    first = run_job(world, "A-00001-O", local(TOMORROW, 10), minutes=30)
    run_job(world, "A-00001-O", local(TOMORROW, 11), minutes=12)
    with session_scope(world.engine) as session:
        reverse_charge(session, first.id or 0, now=AFTER, zone=ZONE)
    with session_scope(world.engine) as session:
        [row] = reconcile(session, "2026-11", now=AFTER, zone=ZONE).rows
    assert row.sessions == 2
    assert row.charged_cents == 600  # only the 12 minutes are still charged


def test_csv_and_refusals(world: World) -> None:
    world.book(world.bob, world.laser2, local(TOMORROW, 10), local(TOMORROW, 11))
    run_job(world, "A-00002-M", local(TOMORROW, 10, 30), minutes=45, active_minutes=30)
    with session_scope(world.engine) as session:
        text = reconciliation_csv(reconcile(session, "2026-11", now=AFTER, zone=ZONE))
        with pytest.raises(InvalidValue) as bad_month:
            reconcile(session, "2026-13", now=AFTER, zone=ZONE)
        assert bad_month.value.code == "month"
        with pytest.raises(NotFound) as no_site:
            reconcile(session, "2026-11", now=AFTER, site_code="nowhere", zone=ZONE)
        assert no_site.value.code == "site_not_found"
    [line] = list(csv.DictReader(io.StringIO(text)))
    assert line["machine"] == "A-00002-M"
    assert line["maker"] == "M-2"
    assert line["booked_minutes"] == "60.0"
    assert (line["busy_minutes"], line["idle_minutes"]) == ("30.0", "15.0")
    assert line["beyond_minutes"] == "15.0"
    assert line["charged_eur"] == "15.00"
    assert line["gaps"] == "used_beyond_booking"


def test_a_run_on_a_booked_slot_without_kiosk_ends_checked_in_completed_and_charged_once(
    world: World,
) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    usage = run_job(world, "A-00001-O", local(TOMORROW, 10, 2), minutes=30)
    # the charge job runs again: nothing more is posted
    run_again = charge_of(world, usage)
    with session_scope(world.engine) as session:
        assert (
            release_no_shows(session, local(TOMORROW, 10, 30), settings=SchedulerSettings()) == []
        )
        complete_finished(session, local(TOMORROW, 11, 1))
    with session_scope(world.engine) as session:
        assert (
            post_usage_charge(session, usage.id or 0, now=AFTER, rules=PriceRules.default()) is None
        )
        assert post_pending_charges(session, now=AFTER, rules=PriceRules.default()) == 0
        stored = session.get(Booking, booking.id)
        assert stored is not None
        assert stored.state is BookingState.COMPLETED
        assert stored.checked_in_at == local(TOMORROW, 10, 2)
        charges = session.exec(
            select(UsageCharge).where(UsageCharge.usage_session_id == usage.id)
        ).all()
        assert len(charges) == 1
        transaction = session.get(LedgerTransaction, run_again.transaction_id)
        assert transaction is not None
        assert transaction.maker_id == world.alice
        [row] = reconcile(session, "2026-11", now=AFTER, zone=ZONE).rows
        assert (row.state, row.charged_cents, row.gaps) == ("completed", 1500, [])


def test_cli_writes_the_report(world: World, database_url: str, tmp_path: Path) -> None:
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    run_job(world, "A-00001-O", local(TOMORROW, 10, 5), minutes=20)
    target = tmp_path / "reconcile.csv"
    result = _fabdesk(
        database_url,
        "reconcile",
        "--month",
        "2026-11",
        "--site",
        "lab-a",
        "--out",
        str(target),
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [row["charged_eur"] for row in rows] == ["10.00"]
    bad = _fabdesk(database_url, "reconcile", "--month", "November")
    assert bad.returncode != 0
    assert "YYYY-MM" in bad.stderr
    assert "Traceback" not in bad.stderr


def _fabdesk(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return fabdesk(*args, env={"FABDESK_DATABASE__URL": url})
