"""Who a usage session belongs to: the badge that started it, else the booking it ran in, else
nobody until a manager says (see docs/attribution.md, which gives worked examples).

1. A badge on `session_started` names the maker (matched case-insensitively). An unknown badge
   names nobody: the session waits for a manager rather than be guessed.
2. Without a badge: the booking the session overlaps most on its machine; on a tie (or while
   the session has not run yet) the booking running at its start wins over the next one.
3. Else the booking whose check-in window (its start minus `check_in_before`) holds the start.
4. Else the session is unattributed: never charged until a manager assigns it.

A session's booking is checked in by its use, and a booking released as a no-show is restored
(its strike, and a suspension that strike caused, are undone) in the same transaction. Until it
is charged, a session is attributed again whenever its events arrive (a running job may come to
overlap the next booking more); a charged or manager-assigned session never moves.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.errors import NotFound
from fabdesk.models import (
    LIVE_STATES,
    AttributedBy,
    Booking,
    BookingState,
    MakerSuspension,
    UsageCharge,
    UsageSession,
    id_of,
)
from fabdesk.settings import SchedulerSettings
from inventory.makers import find_by_badge
from scheduling.machines import policy_for

log = logging.getLogger(__name__)

_ATTACHABLE = (
    BookingState.BOOKED,
    BookingState.CHECKED_IN,
    BookingState.COMPLETED,
    BookingState.NO_SHOW,
)
"""Bookings a use can belong to: cancelled ones never count."""


@dataclass(frozen=True)
class Span:
    """Where a session lies in time: its start, and its end (or its latest event while running)."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, usage: UsageSession) -> Span:
        assert usage.started_at is not None
        end = usage.ended_at or usage.last_event_at or usage.started_at
        return cls(usage.started_at, max(end, usage.started_at))


def _overlap(booking: Booking, span: Span) -> timedelta:
    return max(timedelta(0), min(span.end, booking.ends_at) - max(span.start, booking.starts_at))


def _running_at_start(booking: Booking, span: Span) -> bool:
    return booking.starts_at <= span.start < booking.ends_at


def choose_booking(
    candidates: Sequence[Booking], span: Span, check_in_before: timedelta
) -> tuple[Booking, AttributedBy] | None:
    """The booking a session of `span` ran in (pure): most overlap, the running one on a tie;
    else the one whose check-in window holds its start. A hand-over's part (`handover_of`) takes
    only the jobs started in it: a job running at the hand-over stays the giver's."""
    ran_in = [
        b
        for b in candidates
        if (_overlap(b, span) > timedelta(0) or _running_at_start(b, span))
        and (b.handover_of is None or b.starts_at <= span.start)  # a hand-over's jobs start in it
    ]
    if ran_in:
        best = max(ran_in, key=lambda b: (_overlap(b, span), _running_at_start(b, span), -id_of(b)))
        return best, AttributedBy.BOOKING
    waiting = [
        b
        for b in candidates
        if b.handover_of is None and b.starts_at - check_in_before <= span.start < b.starts_at
    ]
    if waiting:
        return min(waiting, key=lambda b: (b.starts_at, id_of(b))), AttributedBy.CHECK_IN
    return None


def badge_maker_id(session: Session, badge: str) -> int | None:
    """The maker holding `badge` (case-insensitive), or None when nobody does."""
    try:
        return id_of(find_by_badge(session, badge))
    except NotFound:
        return None


def attribute_sessions(
    session: Session,
    usage_session_ids: Sequence[int],
    *,
    now: datetime,
    settings: SchedulerSettings,
) -> list[int]:
    """Attribute the sessions among `usage_session_ids` that are not charged nor assigned by a
    manager, check their bookings in (restoring a no-show); return the ids whose maker or
    booking changed now. Idempotent; one query for the sessions, one per machine for bookings."""
    if not usage_session_ids:
        return []
    usages = session.exec(
        select(UsageSession)
        .where(
            col(UsageSession.id).in_(list(usage_session_ids)),
            col(UsageSession.started_at).is_not(None),
            sa.or_(
                col(UsageSession.attributed_by).is_(None),
                col(UsageSession.attributed_by) != AttributedBy.MANAGER,
            ),
            ~sa.exists().where(col(UsageCharge.usage_session_id) == col(UsageSession.id)),
        )
        .order_by(col(UsageSession.id))
    ).all()
    by_machine: dict[int, list[UsageSession]] = {}
    for usage in usages:
        by_machine.setdefault(usage.equipment_id, []).append(usage)
    changed: list[int] = []
    for equipment_id, machine_usages in by_machine.items():
        before = policy_for(session, equipment_id, settings).check_in_before
        spans = [Span.of(usage) for usage in machine_usages]
        candidates = session.exec(
            select(Booking)
            .where(
                Booking.equipment_id == equipment_id,
                col(Booking.state).in_(_ATTACHABLE),
                col(Booking.starts_at) <= max(span.end for span in spans) + before,
                col(Booking.ends_at) > min(span.start for span in spans),
            )
            .order_by(col(Booking.starts_at))
        ).all()
        for usage, span in zip(machine_usages, spans, strict=True):
            if _attribute(session, usage, span, candidates, before, now=now, settings=settings):
                changed.append(id_of(usage))
    session.flush()
    return changed


def _attribute(
    session: Session,
    usage: UsageSession,
    span: Span,
    candidates: Sequence[Booking],
    before: timedelta,
    *,
    now: datetime,
    settings: SchedulerSettings,
) -> bool:
    maker_id: int | None
    by: AttributedBy | None
    if usage.badge:
        maker_id = badge_maker_id(session, usage.badge)
        own = [b for b in candidates if maker_id is not None and b.maker_id == maker_id]
        found = choose_booking(own, span, before)
        booking = found[0] if found else None
        by = AttributedBy.BADGE if maker_id is not None else None
    else:
        found = choose_booking(candidates, span, before)
        booking, by = found if found else (None, None)
        maker_id = booking.maker_id if booking else None
    booking_id = id_of(booking) if booking else None
    if (usage.maker_id, usage.booking_id, usage.attributed_by) == (maker_id, booking_id, by):
        return False
    usage.maker_id, usage.booking_id, usage.attributed_by = maker_id, booking_id, by
    session.add(usage)
    if booking is not None:
        use_booking(session, booking, used_at=span.start, now=now, settings=settings)
    log.info(
        "usage_attributed",
        extra={"session_id": str(usage.uuid), "maker_id": maker_id, "booking_id": booking_id},
    )
    return True


def use_booking(
    session: Session,
    booking: Booking,
    *,
    used_at: datetime,
    now: datetime,
    settings: SchedulerSettings,
) -> None:
    """Use counts as check-in; a use that arrives after the no-show job ran undoes the release:
    the booking is checked in again (or completed, when it is over or its slot was given to
    someone else), so its strike no longer counts, and a suspension that strike caused is
    lifted."""
    if booking.state is BookingState.BOOKED:
        booking.state = BookingState.CHECKED_IN
        booking.checked_in_at = used_at
        session.add(booking)
        log.info("booking_checked_in_by_usage", extra={"booking_id": booking.id})
        return
    if booking.state is not BookingState.NO_SHOW:
        return
    released_at = booking.closed_at
    booking.checked_in_at = used_at
    if booking.ends_at > now and not _slot_taken(session, booking):
        booking.state, booking.closed_at = BookingState.CHECKED_IN, None
    else:
        booking.state = BookingState.COMPLETED
    session.add(booking)
    session.flush()
    if released_at is not None:
        _lift_suspension(session, booking.maker_id, released_at, now=now)
    log.info("booking_no_show_undone", extra={"booking_id": booking.id})


def _slot_taken(session: Session, booking: Booking) -> bool:
    """Another live booking now holds part of this one's slot (the waitlist gave it away)."""
    return (
        session.exec(
            select(Booking.id).where(
                Booking.equipment_id == booking.equipment_id,
                Booking.id != booking.id,
                col(Booking.state).in_(LIVE_STATES),
                col(Booking.starts_at) < booking.blocked_until,
                col(Booking.blocked_until) > booking.starts_at,
            )
        ).first()
        is not None
    )


def _lift_suspension(
    session: Session, maker_id: int, released_at: datetime, *, now: datetime
) -> None:
    """The suspension the no-show's strike started (it began at the release) ends now."""
    suspension = session.exec(
        select(MakerSuspension).where(
            MakerSuspension.maker_id == maker_id,
            MakerSuspension.starts_at == released_at,
            col(MakerSuspension.ends_at) > now,
        )
    ).first()
    if suspension is not None:
        suspension.ends_at = max(suspension.starts_at, min(now, suspension.ends_at))
        session.add(suspension)
        log.info("suspension_lifted_by_usage", extra={"maker_id": maker_id})
