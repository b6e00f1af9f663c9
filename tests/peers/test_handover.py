"""Hand-over of a running booking: the booking splits at the hand-over, the jobs started after it
are the receiver's and charged to them, the job before stays the giver's; the refusals."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fabdesk.db import session_scope, write_session
from fabdesk.errors import RuleViolation
from fabdesk.models import Booking, BookingState, MakerSuspension
from fabdesk.settings import SchedulerSettings
from scheduling.bookings import check_in, hand_over
from tests.peers.conftest import charge_of, cli, run_job
from tests.scheduling.conftest import TOMORROW, World, local

HAND_OVER = local(TOMORROW, 10, 30)


def _check_in(world: World, booking: Booking) -> Booking:
    with session_scope(world.engine) as session:
        return check_in(
            session,
            booking_id=booking.id or 0,
            now=local(TOMORROW, 10),
            settings=SchedulerSettings(),
        )


def _running(world: World) -> Booking:
    """Alice's booking of Laser 1 from 10:00 to 12:00 tomorrow, checked in."""
    return _check_in(
        world, world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    )


def _hand_over(world: World, booking: Booking, to: int, now: datetime = HAND_OVER) -> Booking:
    with write_session(world.engine) as session:
        return hand_over(
            session,
            booking_id=booking.id or 0,
            from_maker_id=booking.maker_id,
            to_maker_id=to,
            now=now,
            settings=SchedulerSettings(),
        )


def test_the_rest_of_the_slot_and_its_jobs_go_to_the_receiver(world: World) -> None:
    booking = _running(world)
    before = run_job(world, "A-00001-O", local(TOMORROW, 10, 5), minutes=20)
    taken = _hand_over(world, booking, world.bob)
    after = run_job(world, "A-00001-O", local(TOMORROW, 10, 40), minutes=30)
    with session_scope(world.engine) as session:
        given = session.get(Booking, booking.id)
        assert given is not None
        assert (given.state, given.ends_at, given.maker_id) == (
            BookingState.COMPLETED,
            HAND_OVER,
            world.alice,
        )
    assert (taken.state, taken.maker_id, taken.handover_of) == (
        BookingState.CHECKED_IN,
        world.bob,
        booking.id,
    )
    assert (taken.starts_at, taken.ends_at) == (HAND_OVER, local(TOMORROW, 12))
    assert (before.booking_id, before.maker_id) == (booking.id, world.alice)
    assert (after.booking_id, after.maker_id) == (taken.id, world.bob)
    assert charge_of(world, before).total_cents == 1000  # 20 min at 30 euros an hour
    assert charge_of(world, after).total_cents == 1500
    # The machine stays held: nobody else can book the rest of the slot.
    with pytest.raises(RuleViolation) as refused:
        world.book(world.alice, world.laser1, local(TOMORROW, 11), local(TOMORROW, 12))
    assert refused.value.code == "slot_taken"


def test_a_job_started_just_before_the_hand_over_stays_the_givers(world: World) -> None:
    """Even when its driver reports it only after the hand-over (offline for a while)."""
    booking = _running(world)
    _hand_over(world, booking, world.bob)
    late = run_job(world, "A-00001-O", HAND_OVER - timedelta(minutes=5), minutes=20)
    assert (late.booking_id, late.maker_id) == (booking.id, world.alice)


@pytest.mark.parametrize(
    ("receiver", "code"),
    [("carol", "receiver_not_certified"), ("alice", "handover_to_self")],
)
def test_refused_receivers(world: World, receiver: str, code: str) -> None:
    booking = _running(world)
    with pytest.raises(RuleViolation) as refused:
        _hand_over(world, booking, getattr(world, receiver))
    assert refused.value.code == code


def test_a_suspended_receiver_is_refused(world: World) -> None:
    booking = _running(world)
    with session_scope(world.engine) as session:
        session.add(
            MakerSuspension(
                maker_id=world.bob,
                starts_at=local(TOMORROW, 8),
                ends_at=local(TOMORROW + timedelta(days=7), 8),
            )
        )
    with pytest.raises(RuleViolation) as refused:
        _hand_over(world, booking, world.bob)
    assert refused.value.code == "receiver_suspended"


def test_only_a_running_booking_of_the_giver_is_handed_over(world: World) -> None:
    booked = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    with pytest.raises(RuleViolation) as refused:
        _hand_over(world, booked, world.bob)  # booked, never checked in
    assert refused.value.code == "handover_not_running"
    running = _check_in(world, booked)
    with pytest.raises(RuleViolation) as refused:
        _hand_over(world, running, world.bob, local(TOMORROW, 12, 5))  # over
    assert refused.value.code == "handover_not_running"
    with write_session(world.engine) as session, pytest.raises(RuleViolation) as refused:
        hand_over(
            session,
            booking_id=running.id or 0,
            from_maker_id=world.bob,
            to_maker_id=world.carol,
            now=HAND_OVER,
            settings=SchedulerSettings(),
        )
    assert refused.value.code == "not_your_booking"


def test_the_command(world: World, database_url: str) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    result = cli(
        database_url, "bookings", "hand-over", str(booking.id), "--from", "M-1", "--to", "M-2"
    )
    assert isinstance(result.exception, RuleViolation)  # the real clock: not running yet
    assert result.exception.code == "handover_not_running"
