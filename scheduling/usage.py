"""Machine use counts as check-in: a usage session on a booked machine belongs to that booking.

A maker who starts the laser without touching the kiosk is checked in by the driver's report, so
the no-show job never releases a machine that is working. The session also takes the booking's
maker, which is whom accounting charges.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.models import Booking, BookingState, UsageSession, id_of
from fabdesk.settings import SchedulerSettings
from scheduling.bookings import policy_for

log = logging.getLogger(__name__)

_ATTACHABLE = (
    BookingState.BOOKED,
    BookingState.CHECKED_IN,
    BookingState.COMPLETED,
    BookingState.NO_SHOW,
)


def booking_for_usage(
    session: Session,
    equipment_id: int,
    started_at: datetime,
    settings: SchedulerSettings | None = None,
) -> Booking | None:
    """The booking a session that started at `started_at` ran in: from check-in opening (before
    the start) to the booking's end. Cancelled bookings never count. The part of a booking
    handed over at the kiosk starts at the hand-over itself: a job started before it is the
    giver's."""
    policy = policy_for(session, equipment_id, settings)
    return session.exec(
        select(Booking)
        .where(
            Booking.equipment_id == equipment_id,
            col(Booking.state).in_(_ATTACHABLE),
            col(Booking.starts_at) <= started_at + policy.check_in_before,
            sa.or_(col(Booking.handover_of).is_(None), col(Booking.starts_at) <= started_at),
            col(Booking.ends_at) > started_at,
        )
        .order_by(col(Booking.starts_at).desc())
    ).first()


def attach_usage(
    session: Session,
    usage_session_ids: Sequence[int],
    *,
    now: datetime,
    settings: SchedulerSettings | None = None,
) -> list[int]:
    """Give each session without a maker the booking it ran in, and check that booking in.

    Returns the ids of the sessions attached now. Idempotent: an attached session is left alone.
    A booking already released as a no-show (the driver's report came late) keeps that state, but
    the session still goes to its maker.
    """
    if not usage_session_ids:
        return []
    sessions = session.exec(
        select(UsageSession)
        .where(
            col(UsageSession.id).in_(list(usage_session_ids)),
            col(UsageSession.booking_id).is_(None),
            col(UsageSession.maker_id).is_(None),
            col(UsageSession.started_at).is_not(None),
        )
        .order_by(col(UsageSession.id))
    ).all()
    attached: list[int] = []
    for usage in sessions:
        assert usage.started_at is not None
        booking = booking_for_usage(session, usage.equipment_id, usage.started_at, settings)
        if booking is None:
            continue
        usage.booking_id = id_of(booking)
        usage.maker_id = booking.maker_id
        session.add(usage)
        if booking.state is BookingState.BOOKED:
            booking.state = BookingState.CHECKED_IN
            booking.checked_in_at = usage.started_at
            session.add(booking)
            log.info("booking_checked_in_by_usage", extra={"booking_id": booking.id})
        attached.append(id_of(usage))
    session.flush()
    return attached
