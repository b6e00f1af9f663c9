"""Machine use counts as check-in: a usage session on a booked machine belongs to that booking.

A maker who starts the laser without touching the kiosk is checked in by the driver's report, so
the no-show job never releases a machine that is working. The session also takes the booking's
maker, which is whom accounting charges.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

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


def bookings_for_usage(
    session: Session,
    equipment_id: int,
    started: Sequence[datetime],
    settings: SchedulerSettings,
) -> list[Booking | None]:
    """For each start instant, the booking a session that started then ran in: from check-in
    opening (before the start) to the booking's end; the latest such booking. Cancelled bookings
    never count. The part of a booking handed over at the kiosk starts at the hand-over itself: a
    job started before it is the giver's. One query for all the instants."""
    if not started:
        return []
    before = policy_for(session, equipment_id, settings).check_in_before
    candidates = session.exec(
        select(Booking)
        .where(
            Booking.equipment_id == equipment_id,
            col(Booking.state).in_(_ATTACHABLE),
            col(Booking.starts_at) <= max(started) + before,
            col(Booking.ends_at) > min(started),
        )
        .order_by(col(Booking.starts_at).desc())
    ).all()
    return [
        next(
            (
                b
                for b in candidates
                if b.starts_at <= (at if b.handover_of is not None else at + before)
                and b.ends_at > at
            ),
            None,
        )
        for at in started
    ]


def attach_usage(
    session: Session,
    usage_session_ids: Sequence[int],
    *,
    now: datetime,
    settings: SchedulerSettings,
) -> list[int]:
    """Give each session without a maker the booking it ran in, and check that booking in.

    Returns the ids of the sessions attached now. Idempotent: an attached session is left alone.
    A booking already released as a no-show (the driver's report came late) keeps that state, but
    the session still goes to its maker. Two queries per machine, however many sessions.
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
    by_machine: dict[int, list[UsageSession]] = {}
    for usage in sessions:
        by_machine.setdefault(usage.equipment_id, []).append(usage)
    attached: list[int] = []
    for equipment_id, usages in by_machine.items():
        starts = [usage.started_at for usage in usages if usage.started_at is not None]
        for usage, booking in zip(
            usages, bookings_for_usage(session, equipment_id, starts, settings), strict=True
        ):
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
    attached.sort()
    session.flush()
    return attached
