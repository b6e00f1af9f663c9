"""A maker's own things, as the maker API and the waitlist commands show them: their bookings and
waitlist entries with the machine's tag and name. Another maker's booking or entry is "not found",
exactly like one that does not exist (a maker never learns of another's)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from fabdesk.errors import NotFound
from fabdesk.models import LIVE_STATES, Booking, Equipment, WaitlistEntry, WaitlistState

__all__ = [
    "BookingView",
    "MachineName",
    "WaitView",
    "machine_names",
    "my_booking",
    "my_bookings",
    "my_waitlist",
    "view_booking",
    "view_entry",
]

RECENT = timedelta(hours=12)
"""Bookings that ended at most this long ago are still listed (a maker checks what just ran)."""


@dataclass(frozen=True)
class MachineName:
    asset_tag: str
    name: str


@dataclass(frozen=True)
class BookingView:
    """One of the maker's bookings; `state`: booked, checked_in, completed, cancelled, no_show."""

    id: int
    asset_tag: str
    machine: str
    starts_at: datetime
    ends_at: datetime
    state: str


@dataclass(frozen=True)
class WaitView(BookingView):
    """One of the maker's places in line; `state`: waiting, offered, accepted, expired,
    withdrawn; an offer holds until `offer_expires_at`; `booking_id` once accepted."""

    offer_expires_at: datetime | None
    booking_id: int | None


def machine_names(session: Session, equipment_ids: Iterable[int]) -> dict[int, MachineName]:
    """Tag and name of each machine, by id."""
    wanted = set(equipment_ids)
    if not wanted:
        return {}
    rows = session.exec(
        select(Equipment.id, Equipment.asset_tag, Equipment.name).where(
            col(Equipment.id).in_(wanted)
        )
    )
    return {id: MachineName(tag, name) for id, tag, name in rows if id is not None}


def view_booking(booking: Booking, machine: MachineName) -> BookingView:
    return BookingView(
        booking.id or 0,
        machine.asset_tag,
        machine.name,
        booking.starts_at,
        booking.ends_at,
        booking.state.value,
    )


def view_entry(entry: WaitlistEntry, machine: MachineName) -> WaitView:
    return WaitView(
        entry.id or 0,
        machine.asset_tag,
        machine.name,
        entry.starts_at,
        entry.ends_at,
        entry.state.value,
        entry.offer_expires_at,
        entry.booking_id,
    )


def my_bookings(session: Session, maker_id: int, *, now: datetime) -> list[BookingView]:
    """The maker's live bookings still to come or that ended within RECENT, soonest first."""
    bookings = session.exec(
        select(Booking)
        .where(
            Booking.maker_id == maker_id,
            col(Booking.state).in_(LIVE_STATES),
            col(Booking.ends_at) > now - RECENT,
        )
        .order_by(col(Booking.starts_at), col(Booking.id))
    ).all()
    names = machine_names(session, (b.equipment_id for b in bookings))
    return [view_booking(b, names[b.equipment_id]) for b in bookings]


def my_booking(session: Session, maker_id: int, booking_id: int) -> BookingView:
    """One of the maker's bookings (any state); NotFound if there is none of theirs."""
    booking = session.get(Booking, booking_id)
    if booking is None or booking.maker_id != maker_id:
        raise NotFound(
            "No booking with number {booking_id}.",
            booking_id=booking_id,
            error_code="booking_not_found",
        )
    return view_booking(
        booking, machine_names(session, [booking.equipment_id])[booking.equipment_id]
    )


def my_waitlist(session: Session, maker_id: int, *, now: datetime) -> list[WaitView]:
    """The maker's waitlist entries still waiting or offered, soonest first."""
    entries = session.exec(
        select(WaitlistEntry)
        .where(
            WaitlistEntry.maker_id == maker_id,
            col(WaitlistEntry.state).in_([WaitlistState.WAITING, WaitlistState.OFFERED]),
            col(WaitlistEntry.ends_at) > now,
        )
        .order_by(col(WaitlistEntry.starts_at), col(WaitlistEntry.id))
    ).all()
    names = machine_names(session, (e.equipment_id for e in entries))
    return [view_entry(e, names[e.equipment_id]) for e in entries]
