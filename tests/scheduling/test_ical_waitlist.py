"""iCal feeds parsed back with `icalendar`, and the waitlist's offers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlmodel import select

from fabdesk.db import session_scope, write_session
from fabdesk.errors import NotFound, RuleViolation
from fabdesk.models import CalendarToken, Notification, WaitlistState
from fabdesk.settings import SchedulerSettings
from scheduling import bookings, ical, waitlist
from tests.scheduling.conftest import NOW, TOMORROW, World, local


def test_maker_feed_behind_a_token(world: World) -> None:
    kept = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    gone = world.book(world.alice, world.laser2, local(TOMORROW, 14), local(TOMORROW, 15))
    world.book(world.bob, world.laser2, local(TOMORROW, 16), local(TOMORROW, 17))
    with write_session(world.engine) as session:
        bookings.cancel(session, booking_id=gone.id or 0, now=NOW, settings=SchedulerSettings())
        token = ical.calendar_token(session, world.alice, new_token=lambda: "secret-alice")
        assert token == "secret-alice"
        stored = session.get(CalendarToken, world.alice)
        assert stored is not None
        assert stored.token != token  # kept hashed
        feed = ical.maker_feed(session, token, NOW)
        with pytest.raises(NotFound):
            ical.maker_feed(session, "guess", NOW)
        ical.calendar_token(session, world.alice, new_token=lambda: "secret-alice-2")
        with pytest.raises(NotFound):  # a new token replaces the old one
            ical.maker_feed(session, token, NOW)
    calendar = Calendar.from_ical(feed)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["uid"]) for e in events] == [
        f"booking-{kept.id}@fabdesk",
        f"booking-{gone.id}@fabdesk",
    ]
    assert events[0].decoded("dtstart") == local(TOMORROW, 10)
    assert events[0].decoded("dtend") - events[0].decoded("dtstart") == timedelta(hours=2)
    assert str(events[0]["summary"]) == "Laser 1 (A-00001-O)"
    assert [str(e["status"]) for e in events] == ["CONFIRMED", "CANCELLED"]
    assert str(calendar["version"]) == "2.0"


def test_machine_feed_names_no_maker(world: World) -> None:
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    with session_scope(world.engine) as session:
        feed = ical.machine_feed(session, world.laser1, NOW)
    events = list(Calendar.from_ical(feed).walk("VEVENT"))
    assert len(events) == 1
    assert "Alice" not in feed.decode()
    assert str(events[0]["summary"]) == "Booked"


def test_waitlist_offer_goes_to_the_first_then_the_next(world: World) -> None:
    taken = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    starts, ends = local(TOMORROW, 10), local(TOMORROW, 12)
    with write_session(world.engine) as session:
        with pytest.raises(RuleViolation, match="book it"):
            waitlist.join(
                session,
                maker_id=world.bob,
                equipment_id=world.laser2,
                starts_at=starts,
                ends_at=ends,
                now=NOW,
            )
        first = waitlist.join(
            session,
            maker_id=world.bob,
            equipment_id=world.laser1,
            starts_at=starts,
            ends_at=ends,
            now=NOW,
        )
        second = waitlist.join(
            session,
            maker_id=world.carol,
            equipment_id=world.laser1,
            starts_at=starts,
            ends_at=ends,
            now=NOW + timedelta(minutes=1),
        )
        bookings.cancel(
            session,
            booking_id=taken.id or 0,
            now=NOW,
            maker_id=world.alice,
            settings=SchedulerSettings(),
        )
        assert first.state is WaitlistState.OFFERED
        assert second.state is WaitlistState.WAITING
        # The slot is held for Bob: Alice cannot take it back meanwhile.
        with pytest.raises(RuleViolation) as caught:
            bookings.book(
                session,
                maker_id=world.alice,
                equipment_id=world.laser1,
                starts_at=starts,
                ends_at=ends,
                now=NOW + timedelta(minutes=2),
                settings=SchedulerSettings(),
            )
        assert [v.code for v in caught.value.violations] == ["slot_offered"]
        # Bob lets it lapse; Carol gets it, but she is not certified, so accepting is refused.
        later = NOW + timedelta(minutes=31)
        assert waitlist.expire_offers(session, later, settings=SchedulerSettings()) == [first]
        assert str(second.state) == "offered"  # mypy narrowed it to WAITING above
        with pytest.raises(RuleViolation) as caught:
            waitlist.accept_offer(
                session,
                entry_id=second.id or 0,
                maker_id=world.carol,
                now=later,
                settings=SchedulerSettings(),
            )
        assert [v.code for v in caught.value.violations] == ["not_certified"]
        with pytest.raises(RuleViolation):
            waitlist.accept_offer(
                session,
                entry_id=first.id or 0,
                maker_id=world.bob,
                now=later,
                settings=SchedulerSettings(),
            )
        messages = session.exec(select(Notification.kind, Notification.maker_id)).all()
    assert sorted(messages) == [("waitlist_offer", world.bob), ("waitlist_offer", world.carol)]


def test_accepting_an_offer_books_the_slot(world: World) -> None:
    taken = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    with write_session(world.engine) as session:
        entry = waitlist.join(
            session,
            maker_id=world.bob,
            equipment_id=world.laser1,
            starts_at=local(TOMORROW, 10),
            ends_at=local(TOMORROW, 11),
            now=NOW,
        )
        bookings.cancel(session, booking_id=taken.id or 0, now=NOW, settings=SchedulerSettings())
        booking = waitlist.accept_offer(
            session,
            entry_id=entry.id or 0,
            maker_id=world.bob,
            now=NOW,
            settings=SchedulerSettings(),
        )
    assert booking.maker_id == world.bob
    assert entry.state is WaitlistState.ACCEPTED
    assert entry.booking_id == booking.id
