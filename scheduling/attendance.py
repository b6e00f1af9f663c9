"""A booking once made: checked in, cancelled (its slot offered to the waitlist), completed.

Each takes a session and plain values (`now` included) and never commits: the caller owns the
transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from fabdesk.errors import RuleViolation, Violation
from fabdesk.models import Booking, BookingState, EquipmentStatus
from fabdesk.settings import SchedulerSettings
from inventory.checks import mark_used
from scheduling import rules
from scheduling.lookups import check_owner, get_booking, wrong_state
from scheduling.machines import load_machine, policy_for
from scheduling.releases import strike

__all__ = ["cancel", "check_in", "complete", "complete_finished"]


def check_in(
    session: Session,
    *,
    booking_id: int,
    now: datetime,
    maker_id: int | None = None,
    settings: SchedulerSettings,
) -> Booking:
    """Check in a booking, from `check_in_before` before its start to `check_in_after` after."""
    booking = get_booking(session, booking_id, for_update=True)
    check_owner(booking, maker_id)
    if booking.state is not BookingState.BOOKED:
        raise wrong_state(booking, "checked in")
    machine = load_machine(session, booking.equipment_id, settings)
    if machine.status is EquipmentStatus.TO_CHECK:
        raise RuleViolation([rules.to_check(machine.name)])
    policy = machine.policy
    opens = booking.starts_at - policy.check_in_before
    closes = booking.starts_at + policy.check_in_after
    tz = machine.timezone
    if now < opens:
        raise RuleViolation(
            [
                Violation(
                    "check_in_too_early",
                    "Check-in for {machine} opens at {opens}.",
                    {"machine": machine.name, "opens": rules.local_iso(opens, tz)},
                )
            ]
        )
    if now > closes:
        raise RuleViolation(
            [
                Violation(
                    "check_in_too_late",
                    "Check-in for {machine} closed at {closes}.",
                    {"machine": machine.name, "closes": rules.local_iso(closes, tz)},
                )
            ]
        )
    booking.state = BookingState.CHECKED_IN
    booking.checked_in_at = now
    session.add(booking)
    session.flush()
    return booking


def cancel(
    session: Session,
    *,
    booking_id: int,
    now: datetime,
    maker_id: int | None = None,
    reason: str = "",
    settings: SchedulerSettings,
) -> Booking:
    """Cancel a booking that has not started; after the cut-off it counts as a late cancel.

    The freed slot is offered to the waitlist.
    """
    from scheduling import waitlist

    booking = get_booking(session, booking_id, for_update=True)
    check_owner(booking, maker_id)
    if booking.state is not BookingState.BOOKED:
        raise wrong_state(booking, "cancelled")
    if booking.starts_at <= now and maker_id is not None:
        raise RuleViolation(
            [
                Violation(
                    "already_started",
                    "Booking {booking_id} has already started: it cannot be cancelled.",
                    {"booking_id": booking.id},
                )
            ]
        )
    policy = policy_for(session, booking.equipment_id, settings)
    booking.state = BookingState.CANCELLED
    booking.closed_at = now
    booking.reason = reason[:240]
    booking.late_cancel = maker_id is not None and now > booking.starts_at - policy.cancel_cutoff
    session.add(booking)
    session.flush()
    if booking.late_cancel:
        strike(session, booking.maker_id, now, settings)
    waitlist.offer_freed(
        session, booking.equipment_id, max(booking.starts_at, now), booking.ends_at, now, settings
    )
    return booking


def complete(session: Session, *, booking_id: int, now: datetime) -> Booking:
    """Finish a checked-in booking; finishing early frees the rest of the slot."""
    booking = get_booking(session, booking_id, for_update=True)
    if booking.state is not BookingState.CHECKED_IN:
        raise wrong_state(booking, "completed")
    if now < booking.ends_at:
        buffer = booking.blocked_until - booking.ends_at
        booking.ends_at = max(now, booking.starts_at + timedelta(minutes=1))
        booking.blocked_until = booking.ends_at + buffer
    booking.state = BookingState.COMPLETED
    booking.closed_at = now
    session.add(booking)
    session.flush()
    mark_used(session, [booking.equipment_id], cause=f"booking {booking.id} completed", now=now)
    return booking


def complete_finished(session: Session, now: datetime) -> list[Booking]:
    """Mark checked-in bookings whose time is over as completed (a scheduler job)."""
    finished = session.exec(
        select(Booking).where(Booking.state == BookingState.CHECKED_IN, col(Booking.ends_at) <= now)
    ).all()
    for booking in finished:
        booking.state = BookingState.COMPLETED
        booking.closed_at = now
        session.add(booking)
        mark_used(session, [booking.equipment_id], cause=f"booking {booking.id} completed", now=now)
    session.flush()
    return list(finished)
