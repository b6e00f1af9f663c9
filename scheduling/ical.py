"""iCalendar (RFC 5545) feeds: a maker's bookings behind a secret token, a machine's bookings.

The machine feed names no maker (it is public to the lab); the maker feed is found only by its
token, which `calendar_token` issues (shown once; the database keeps its SHA-256, so a stolen
database gives no feed away); issuing another replaces it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from fabdesk.errors import NotFound
from fabdesk.models import (
    LIVE_STATES,
    Booking,
    BookingState,
    CalendarToken,
    Equipment,
    Site,
)
from fabdesk.usage.devices import hash_token

__all__ = ["calendar_token", "machine_feed", "maker_feed"]

_PRODID = "-//fabdesk//bookings//EN"
_HISTORY = timedelta(days=90)
"""Feeds carry bookings that ended at most this long ago, and everything to come."""


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def calendar_token(
    session: Session, maker_id: int, *, new_token: Callable[[], str] = _new_token
) -> str:
    """A new feed token for the maker, to show them now: only its hash is kept, and the
    previous token (if any) stops working."""
    token = new_token()
    row = session.get(CalendarToken, maker_id) or CalendarToken(maker_id=maker_id, token="")
    row.token = hash_token(token)
    session.add(row)
    session.flush()
    return token


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", _PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


_STATUS = {
    BookingState.BOOKED: "CONFIRMED",
    BookingState.CHECKED_IN: "CONFIRMED",
    BookingState.COMPLETED: "CONFIRMED",
    BookingState.CANCELLED: "CANCELLED",
    BookingState.NO_SHOW: "CANCELLED",
}


def _rows(
    session: Session, now: datetime, *, maker_id: int | None = None, equipment_id: int | None = None
) -> Sequence[tuple[Booking, str, str, str]]:
    query = (
        select(Booking, Equipment.name, Equipment.asset_tag, Site.name)
        .join(Equipment, col(Equipment.id) == Booking.equipment_id)
        .join(Site, col(Site.id) == Equipment.site_id)
        .where(col(Booking.ends_at) > now - _HISTORY)
        .order_by(col(Booking.starts_at), col(Booking.id))
    )
    if maker_id is not None:
        query = query.where(Booking.maker_id == maker_id)
    if equipment_id is not None:
        query = query.where(
            Booking.equipment_id == equipment_id,
            col(Booking.state).in_([*LIVE_STATES, BookingState.COMPLETED]),
        )
    return session.exec(query).all()


def _event(booking: Booking, summary: str, location: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"booking-{booking.id}@fabdesk")
    event.add("dtstamp", stamp)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", summary)
    event.add("location", location)
    event.add("status", _STATUS[booking.state])
    event.add("sequence", 1 if booking.closed_at else 0)
    return event


def maker_feed(session: Session, token: str, now: datetime) -> bytes:
    """The iCalendar feed of the maker whose token this is (NotFound for an unknown token)."""
    digest = hash_token(token)
    row = session.exec(select(CalendarToken).where(CalendarToken.token == digest)).first()
    if row is None:
        raise NotFound("This calendar address is not known.", error_code="calendar_unknown")
    calendar = _calendar("fabdesk bookings")
    for booking, name, tag, site in _rows(session, now, maker_id=row.maker_id):
        calendar.add_component(_event(booking, f"{name} ({tag})", site, now))
    return bytes(calendar.to_ical())


def machine_feed(session: Session, equipment_id: int, now: datetime) -> bytes:
    """The iCalendar feed of one machine's bookings, without makers' names."""
    machine = session.get(Equipment, equipment_id)
    if machine is None:
        raise NotFound("No machine with id {equipment_id}.", equipment_id=equipment_id)
    calendar = _calendar(f"{machine.name} ({machine.asset_tag})")
    for booking, _name, _tag, site in _rows(session, now, equipment_id=equipment_id):
        calendar.add_component(_event(booking, "Booked", site, now))
    return bytes(calendar.to_ical())
