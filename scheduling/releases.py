"""Bookings released without their maker: no-shows after the check-in grace period (a strike,
and a suspension when the strikes reach the limit; the freed time offered to the waitlist), and
every booking of a machine put out of order (cancelled without a strike, the makers told)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.models import LIVE_STATES, Booking, BookingState, MakerSuspension
from fabdesk.settings import SchedulerSettings
from scheduling.machines import load_machine, policy_for
from scheduling.rules import Policy

__all__ = ["cancel_bookings_for_outage", "release_no_shows", "strike"]

log = logging.getLogger(__name__)


def release_no_shows(session: Session, now: datetime, settings: SchedulerSettings) -> list[Booking]:
    """Release every booking nobody checked in by the end of its grace period (idempotent)."""
    from scheduling import waitlist

    candidates = session.exec(
        select(Booking)
        .where(Booking.state == BookingState.BOOKED, col(Booking.starts_at) < now)
        .with_for_update(skip_locked=True)
    ).all()
    released: list[Booking] = []
    policies: dict[int, Policy] = {}
    for booking in candidates:
        if booking.equipment_id not in policies:
            policies[booking.equipment_id] = policy_for(session, booking.equipment_id, settings)
        if now <= booking.starts_at + policies[booking.equipment_id].check_in_after:
            continue
        booking.state = BookingState.NO_SHOW
        booking.closed_at = now
        session.add(booking)
        released.append(booking)
    session.flush()
    for booking in released:
        log.info("booking_no_show", extra={"booking_id": booking.id, "maker_id": booking.maker_id})
        strike(session, booking.maker_id, now, settings)
        if booking.ends_at > now:
            waitlist.offer_freed(session, booking.equipment_id, now, booking.ends_at, now, settings)
    return released


def strike(
    session: Session, maker_id: int, now: datetime, settings: SchedulerSettings
) -> MakerSuspension | None:
    """After a no-show or a late cancel: suspend the maker when the strikes reach the limit."""
    policy = settings.suspension
    since = now - timedelta(days=policy.window_days)
    active = session.exec(
        select(MakerSuspension.id).where(
            MakerSuspension.maker_id == maker_id, col(MakerSuspension.ends_at) > now
        )
    ).first()
    if active is not None:
        return None
    last_end = session.exec(
        select(sa.func.max(MakerSuspension.starts_at)).where(MakerSuspension.maker_id == maker_id)
    ).one()
    if last_end is not None and last_end > since:
        since = last_end  # strikes before the last suspension are spent
    strikes = session.exec(
        select(sa.func.count())
        .select_from(Booking)
        .where(
            Booking.maker_id == maker_id,
            col(Booking.closed_at) > since,
            sa.or_(col(Booking.state) == BookingState.NO_SHOW, col(Booking.late_cancel)),
        )
    ).one()
    if strikes < policy.strikes:
        return None
    suspension = MakerSuspension(
        maker_id=maker_id,
        starts_at=now,
        ends_at=now + timedelta(days=policy.suspension_days),
        reason=f"{strikes} no-shows or late cancellations in {policy.window_days} days",
    )
    session.add(suspension)
    session.flush()
    log.info("maker_suspended", extra={"maker_id": maker_id})
    return suspension


def cancel_bookings_for_outage(
    session: Session,
    equipment_id: int,
    reason: str,
    now: datetime,
    settings: SchedulerSettings,
) -> list[Booking]:
    """Cancel every booking of a machine put out of order that has not ended (no strike for the
    makers), and tell them through the outbox."""
    from scheduling import notifier

    affected = session.exec(
        select(Booking)
        .where(
            Booking.equipment_id == equipment_id,
            col(Booking.state).in_(LIVE_STATES),
            col(Booking.ends_at) > now,
        )
        .with_for_update()
    ).all()
    machine = load_machine(session, equipment_id, settings)
    for booking in affected:
        booking.state = BookingState.CANCELLED
        booking.closed_at = now
        booking.reason = reason[:240]
        session.add(booking)
    session.flush()
    for booking in affected:
        notifier.enqueue_booking_message(
            session,
            booking,
            machine_name=machine.name,
            timezone=machine.timezone,
            kind="booking_cancelled_outage",
            now=now,
            reason=reason,
        )
    return list(affected)
