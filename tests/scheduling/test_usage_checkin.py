"""Machine use counts as check-in: driver sessions find their booking and check it in."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from fabdesk.db import session_scope, write_session
from fabdesk.models import Booking, BookingState, UsageSession
from fabdesk.settings import SchedulerSettings
from fabdesk.usage.attribution import attribute_sessions
from fabdesk.usage.devices import authenticate, register_device
from fabdesk.usage.ingest import ingest_batch
from fabdesk.wire import EventBatch
from scheduling.bookings import cancel
from scheduling.releases import release_no_shows
from tests.api.events import CLOCK_TOLERANCE, job
from tests.scheduling.conftest import NOW, TOMORROW, World, local


def _run_job(world: World, tag: str, start_local_hour: int, minute: int = 0) -> UsageSession:
    """The driver of machine `tag` reports a 10-minute job (server clock = device clock)."""
    start = local(TOMORROW, start_local_hour, minute)
    _, events = job(start, minutes=10)
    with write_session(world.engine) as session:
        token = register_device(session, equipment_tag=tag, name=tag, now=NOW, token=None).token
    with write_session(world.engine) as session:
        device = authenticate(session, token)
        sent = start + timedelta(minutes=10)  # the batch leaves when the job ends
        result = ingest_batch(
            session, device, EventBatch(events=events), now=sent, clock_tolerance=CLOCK_TOLERANCE
        )
        attribute_sessions(
            session, result.touched_session_ids, now=sent, settings=SchedulerSettings()
        )
        return session.exec(
            select(UsageSession).where(UsageSession.id == result.touched_session_ids[0])
        ).one()


def test_a_job_on_a_booked_machine_checks_the_booking_in(world: World) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    usage = _run_job(world, "A-00001-O", 10, 5)
    assert usage.booking_id == booking.id
    assert usage.maker_id == world.alice
    with session_scope(world.engine) as session:
        released = release_no_shows(session, local(TOMORROW, 11), settings=SchedulerSettings())
        assert released == []
        stored = session.get(Booking, booking.id)
        assert stored is not None
        assert stored.state is BookingState.CHECKED_IN
        assert stored.checked_in_at == local(TOMORROW, 10, 5)


def test_a_job_started_early_in_the_check_in_window_counts(world: World) -> None:
    booking = world.book(world.bob, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    usage = _run_job(world, "A-00001-O", 9, 50)
    assert usage.booking_id == booking.id


def test_use_without_a_booking_or_on_a_cancelled_one_stays_unattributed(world: World) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    with session_scope(world.engine) as session:
        cancel(
            session,
            booking_id=booking.id or 0,
            now=NOW,
            maker_id=world.alice,
            settings=SchedulerSettings(),
        )
    usage = _run_job(world, "A-00001-O", 10, 30)
    assert usage.booking_id is None
    assert usage.maker_id is None
    other = _run_job(world, "A-00002-M", 14)
    assert other.booking_id is None


def test_attaching_twice_changes_nothing(world: World) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    usage = _run_job(world, "A-00001-O", 10, 5)
    with write_session(world.engine) as session:
        assert (
            attribute_sessions(
                session, [usage.id or 0], now=NOW + timedelta(days=1), settings=SchedulerSettings()
            )
            == []
        )
        stored = session.get(Booking, booking.id)
        assert stored is not None
        assert stored.checked_in_at == local(TOMORROW, 10, 5)
