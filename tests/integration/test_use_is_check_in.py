"""End to end: a simulated laser runs on a booked slot, nobody checks in at the kiosk, and the
booking ends checked in, completed and charged once.

Real pieces only: the GRBL simulator on a pseudo-terminal, the real driver (serial, outbox,
uplink over HTTP), the real server on 127.0.0.1, the scheduler's own jobs, SQLite underneath.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from fabdesk.db import session_scope
from fabdesk.demo import LASER, DemoLab, now_utc, prepare
from fabdesk.models import (
    Booking,
    BookingState,
    Equipment,
    LedgerTransaction,
    UsageCharge,
    UsageSession,
)
from fabdesk.usage.follow_up import after_ingest
from scheduling.jobs import JobContext, release_no_shows
from scheduling.notifier import OutboxNotifier


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[DemoLab]:
    setup = prepare(tmp_path / "lab", now_utc())
    with DemoLab(setup, stagehand_seconds=3600) as running:
        yield running


def _wait_for(predicate: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.slow
def test_a_booked_job_checks_in_completes_and_is_charged_once(lab: DemoLab) -> None:
    engine = lab.setup.engine
    with session_scope(engine) as session:
        laser = session.exec(select(Equipment).where(Equipment.asset_tag == LASER)).one()
        booking = session.exec(select(Booking).where(Booking.equipment_id == laser.id)).one()
    assert booking.state is BookingState.BOOKED

    lab.run_job(LASER)

    def finished() -> bool:
        with session_scope(engine) as session:
            usage = session.exec(
                select(UsageSession).where(UsageSession.equipment_id == laser.id)
            ).first()
            return usage is not None and usage.finished

    _wait_for(finished)
    with session_scope(engine) as session:
        usage = session.exec(
            select(UsageSession).where(UsageSession.equipment_id == laser.id)
        ).one()
        checked = session.get(Booking, booking.id)
        assert checked is not None
        assert checked.state is BookingState.CHECKED_IN, "the job itself checked the booking in"
        assert usage.booking_id == booking.id
        assert usage.maker_id == booking.maker_id
        # Long after the grace period the no-show job releases the unused bookings of the other
        # simulated machines but leaves this one alone; at its end, it completes it.
        release_no_shows(session, lab_context(lab), booking.starts_at + timedelta(minutes=30))
        session.refresh(checked)
        assert checked.state is BookingState.CHECKED_IN
        others = session.exec(select(Booking).where(Booking.equipment_id != laser.id)).all()
        assert {other.state for other in others} == {BookingState.NO_SHOW}
        release_no_shows(session, lab_context(lab), booking.ends_at)
        done = session.get(Booking, booking.id, populate_existing=True)
        assert done is not None
        assert done.state is BookingState.COMPLETED

        charges = session.exec(
            select(UsageCharge).where(UsageCharge.usage_session_id == usage.id)
        ).all()
        assert len(charges) == 1
        # A replay of the follow-up (a retried batch) charges nothing more.
        again = after_ingest(
            session, [usage.id or 0], [usage.id or 0], now=now_utc(), settings=lab.setup.settings
        )
        assert again.charged == []
        assert again.attached == []
        keys = session.exec(
            select(LedgerTransaction.key).where(
                col(LedgerTransaction.key).contains(str(usage.uuid))
            )
        ).all()
        assert len(keys) == 1


def lab_context(lab: DemoLab) -> JobContext:
    return JobContext(
        settings=lab.setup.settings,
        engine=lab.setup.engine,
        notifier=OutboxNotifier(),
        clock=now_utc,
        runner="test",
        jobs={},
    )
