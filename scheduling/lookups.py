"""Bookings looked up (one by its number, a machine's current one, a maker's), and the two
refusals every change of a booking shares: not the maker's own, not in a state for it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from fabdesk.errors import NotFound, RuleViolation, Violation
from fabdesk.models import LIVE_STATES, Booking, BookingState

__all__ = [
    "LONGEST_BOOKING",
    "bookings_of",
    "check_owner",
    "current_booking",
    "get_booking",
    "wrong_state",
]

LONGEST_BOOKING = timedelta(days=2)
"""No booking lasts longer: bounds range scans so the (equipment_id, starts_at) index serves."""


def get_booking(session: Session, booking_id: int, *, for_update: bool = False) -> Booking:
    query = select(Booking).where(Booking.id == booking_id)
    if for_update:
        query = query.with_for_update()
    booking = session.exec(query).first()
    if booking is None:
        raise NotFound("No booking with number {booking_id}.", booking_id=booking_id)
    return booking


def check_owner(booking: Booking, maker_id: int | None) -> None:
    """Refuse (`not_your_booking`) a maker acting on another's booking; None is the lab acting."""
    if maker_id is not None and booking.maker_id != maker_id:
        raise RuleViolation(
            [
                Violation(
                    "not_your_booking",
                    "Booking {booking_id} is not yours.",
                    {"booking_id": booking.id},
                )
            ]
        )


def wrong_state(booking: Booking, action: str) -> RuleViolation:
    """The refusal (`wrong_state`) of `action` on a booking in a state that does not allow it."""
    return RuleViolation(
        [
            Violation(
                "wrong_state",
                "Booking {booking_id} is {state}: it cannot be {action}.",
                {"booking_id": booking.id, "state": booking.state.value, "action": action},
            )
        ]
    )


def current_booking(session: Session, equipment_id: int, now: datetime) -> Booking | None:
    """The live booking of a machine at `now`, if any (drivers ask who is using it)."""
    return session.exec(
        select(Booking)
        .where(
            Booking.equipment_id == equipment_id,
            col(Booking.state).in_(LIVE_STATES),
            col(Booking.starts_at) <= now,
            col(Booking.starts_at) > now - LONGEST_BOOKING,
            col(Booking.ends_at) > now,
        )
        .order_by(col(Booking.starts_at))
    ).first()


def bookings_of(
    session: Session,
    maker_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    states: Sequence[BookingState] | None = None,
) -> list[Booking]:
    """A maker's bookings, oldest first, optionally within [since, until) and in some states."""
    query = select(Booking).where(Booking.maker_id == maker_id)
    if since is not None:
        query = query.where(col(Booking.ends_at) > since)
    if until is not None:
        query = query.where(col(Booking.starts_at) < until)
    if states is not None:
        query = query.where(col(Booking.state).in_(list(states)))
    return list(session.exec(query.order_by(col(Booking.starts_at), col(Booking.id))).all())
