"""The waitlist: wait for a taken slot; when it frees, the first in line gets it for a while.

An offer holds the slot for the offered maker (others are refused with `slot_offered`) until
`offer_expires_at`; then the offer expires and the next in line gets it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from fabdesk.errors import NotFound, RuleViolation, Violation
from fabdesk.models import LIVE_STATES, Booking, WaitlistEntry, WaitlistState
from fabdesk.settings import SchedulerSettings

__all__ = ["accept_offer", "expire_offers", "join", "offer_freed", "withdraw"]

log = logging.getLogger(__name__)


def join(
    session: Session,
    *,
    maker_id: int,
    equipment_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> WaitlistEntry:
    """Wait for [starts_at, ends_at) of a machine; refused if it is free (book it) or past."""
    if starts_at >= ends_at or ends_at <= now:
        raise RuleViolation(
            [Violation("invalid_time_range", "A booking must end after it starts.", {})]
        )
    if _is_free(session, equipment_id, starts_at, ends_at):
        raise RuleViolation(
            [
                Violation(
                    "slot_free",
                    "This time is free: book it instead of waiting for it.",
                    {},
                )
            ]
        )
    duplicate = session.exec(
        select(WaitlistEntry.id).where(
            WaitlistEntry.maker_id == maker_id,
            WaitlistEntry.equipment_id == equipment_id,
            col(WaitlistEntry.state).in_([WaitlistState.WAITING, WaitlistState.OFFERED]),
            col(WaitlistEntry.starts_at) < ends_at,
            col(WaitlistEntry.ends_at) > starts_at,
        )
    ).first()
    if duplicate is not None:
        raise RuleViolation(
            [Violation("already_waiting", "You are already waiting for this time.", {})]
        )
    entry = WaitlistEntry(
        maker_id=maker_id,
        equipment_id=equipment_id,
        starts_at=starts_at,
        ends_at=ends_at,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def _is_free(session: Session, equipment_id: int, starts_at: datetime, ends_at: datetime) -> bool:
    return (
        session.exec(
            select(Booking.id).where(
                Booking.equipment_id == equipment_id,
                col(Booking.state).in_(LIVE_STATES),
                col(Booking.starts_at) < ends_at,
                col(Booking.blocked_until) > starts_at,
            )
        ).first()
        is None
    )


def offer_freed(
    session: Session,
    equipment_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    settings: SchedulerSettings,
) -> list[WaitlistEntry]:
    """Offer a freed range to the first waiting makers whose wish now fits (oldest first)."""
    from scheduling import notifier

    minutes = settings.waitlist_offer_minutes
    waiting = session.exec(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.equipment_id == equipment_id,
            WaitlistEntry.state == WaitlistState.WAITING,
            col(WaitlistEntry.starts_at) < ends_at,
            col(WaitlistEntry.ends_at) > starts_at,
            col(WaitlistEntry.ends_at) > now,
        )
        .order_by(col(WaitlistEntry.created_at), col(WaitlistEntry.id))
    ).all()
    offered: list[WaitlistEntry] = []
    for entry in waiting:
        if entry.starts_at < now - timedelta(minutes=1):
            entry.state = WaitlistState.EXPIRED
            session.add(entry)
            continue
        if not _is_free(session, equipment_id, entry.starts_at, entry.ends_at):
            continue
        if any(o.starts_at < entry.ends_at and entry.starts_at < o.ends_at for o in offered):
            continue
        if _held_by_offer(session, equipment_id, entry, now):
            continue
        entry.state = WaitlistState.OFFERED
        entry.offer_expires_at = min(now + timedelta(minutes=minutes), entry.starts_at)
        if entry.offer_expires_at <= now:
            entry.offer_expires_at = now + timedelta(minutes=minutes)
        session.add(entry)
        offered.append(entry)
        notifier.enqueue_offer_message(session, entry, now=now)
        log.info("waitlist_offered", extra={"entry_id": entry.id, "maker_id": entry.maker_id})
    session.flush()
    return offered


def _held_by_offer(
    session: Session, equipment_id: int, entry: WaitlistEntry, now: datetime
) -> bool:
    return (
        session.exec(
            select(WaitlistEntry.id).where(
                WaitlistEntry.equipment_id == equipment_id,
                WaitlistEntry.state == WaitlistState.OFFERED,
                col(WaitlistEntry.offer_expires_at) > now,
                col(WaitlistEntry.starts_at) < entry.ends_at,
                col(WaitlistEntry.ends_at) > entry.starts_at,
                WaitlistEntry.id != entry.id,
            )
        ).first()
        is not None
    )


def accept_offer(
    session: Session,
    *,
    entry_id: int,
    maker_id: int,
    now: datetime,
    settings: SchedulerSettings,
) -> Booking:
    """Turn a live offer into a booking (every booking rule still applies)."""
    from scheduling.bookings import book

    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.maker_id != maker_id:
        raise NotFound("No waitlist entry {entry_id} of yours.", entry_id=entry_id)
    if (
        entry.state is not WaitlistState.OFFERED
        or entry.offer_expires_at is None
        or entry.offer_expires_at <= now
    ):
        raise RuleViolation(
            [
                Violation(
                    "offer_not_open",
                    "There is no open offer for this waitlist entry.",
                    {"entry_id": entry_id},
                )
            ]
        )
    booking = book(
        session,
        maker_id=maker_id,
        equipment_id=entry.equipment_id,
        starts_at=max(entry.starts_at, now.replace(second=0, microsecond=0)),
        ends_at=entry.ends_at,
        now=now,
        settings=settings,
    )
    entry.state = WaitlistState.ACCEPTED
    entry.booking_id = booking.id
    session.add(entry)
    session.flush()
    return booking


def withdraw(
    session: Session, *, entry_id: int, maker_id: int, now: datetime, settings: SchedulerSettings
) -> WaitlistEntry:
    """Leave the waitlist; a live offer goes to the next in line."""
    entry = session.get(WaitlistEntry, entry_id)
    if entry is None or entry.maker_id != maker_id:
        raise NotFound("No waitlist entry {entry_id} of yours.", entry_id=entry_id)
    was_offered = entry.state is WaitlistState.OFFERED
    entry.state = WaitlistState.WITHDRAWN
    session.add(entry)
    session.flush()
    if was_offered:
        offer_freed(session, entry.equipment_id, entry.starts_at, entry.ends_at, now, settings)
    return entry


def expire_offers(
    session: Session, now: datetime, settings: SchedulerSettings
) -> list[WaitlistEntry]:
    """Expire offers nobody confirmed in time and pass each slot to the next in line."""
    lapsed = session.exec(
        select(WaitlistEntry).where(
            WaitlistEntry.state == WaitlistState.OFFERED,
            col(WaitlistEntry.offer_expires_at) <= now,
        )
    ).all()
    for entry in lapsed:
        entry.state = WaitlistState.EXPIRED
        session.add(entry)
    session.flush()
    for entry in lapsed:
        if entry.ends_at > now:
            offer_freed(
                session, entry.equipment_id, max(entry.starts_at, now), entry.ends_at, now, settings
            )
    return list(lapsed)
