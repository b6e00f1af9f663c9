"""Booking, checking in, cancelling, no-shows, walk-ins and extensions, on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from fabdesk.db import session_scope, write_session
from fabdesk.errors import RuleViolation
from fabdesk.models import (
    Booking,
    BookingPolicy,
    BookingState,
    Equipment,
    EquipmentStatus,
    MaintenanceWindow,
    MakerSuspension,
    Notification,
    SiteClosure,
)
from fabdesk.settings import SchedulerSettings
from scheduling import attendance, bookings, lookups, releases
from tests.scheduling.conftest import HOUR, NOW, TOMORROW, World, local


def codes(error: pytest.ExceptionInfo[RuleViolation]) -> list[str]:
    return [v.code for v in error.value.violations]


def test_book_and_read_back_in_utc(world: World) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    assert booking.state is BookingState.BOOKED
    with session_scope(world.engine) as session:
        stored = lookups.get_booking(session, booking.id or 0)
    assert stored.starts_at == datetime.fromisoformat("2026-11-24T09:00:00+00:00")
    assert stored.starts_at.utcoffset() == timedelta(0)


def test_overlap_is_refused_with_the_slot_taken(world: World) -> None:
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    with pytest.raises(RuleViolation) as caught:
        world.book(world.bob, world.laser1, local(TOMORROW, 11), local(TOMORROW, 13))
    assert codes(caught) == ["slot_taken"]
    assert caught.value.violations[0].params["starts_at"] == "2026-11-24T10:00+01:00"
    # The other laser and the time after are free.
    world.book(world.bob, world.laser2, local(TOMORROW, 11), local(TOMORROW, 13))
    world.book(world.bob, world.laser1, local(TOMORROW, 12), local(TOMORROW, 13))


def test_the_buffer_counts_as_part_of_the_booking(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(
            BookingPolicy.model_validate({"equipment_id": world.laser1, "buffer_minutes": 30})
        )
    first = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    assert first.blocked_until == local(TOMORROW, 12, 30)
    with pytest.raises(RuleViolation) as caught:
        world.book(world.bob, world.laser1, local(TOMORROW, 12, 15), local(TOMORROW, 13))
    assert codes(caught) == ["slot_taken"]
    # Nor may a new booking's own buffer run into the next one.
    with pytest.raises(RuleViolation) as caught:
        world.book(world.bob, world.laser1, local(TOMORROW, 9), local(TOMORROW, 9, 45))
    assert codes(caught) == ["slot_taken"]
    world.book(world.bob, world.laser1, local(TOMORROW, 12, 30), local(TOMORROW, 13))


def test_every_broken_rule_is_listed(world: World) -> None:
    with session_scope(world.engine) as session:
        machine = session.get(Equipment, world.laser1)
        assert machine is not None
        machine.status = EquipmentStatus.OUT_OF_ORDER
    with pytest.raises(RuleViolation) as caught:
        world.book(world.carol, world.laser1, local(TOMORROW, 20), local(TOMORROW, 22))
    assert codes(caught) == ["machine_unavailable", "not_certified", "outside_opening_hours"]
    assert "Laser 1" in str(caught.value)


@pytest.mark.parametrize(
    ("starts", "ends", "code"),
    [
        (local(TOMORROW, 12), local(TOMORROW, 11), "invalid_time_range"),
        (NOW - HOUR, NOW + HOUR, "in_the_past"),
        (local(TOMORROW, 10), local(TOMORROW, 10, 5), "too_short"),
        (local(TOMORROW, 9), local(TOMORROW, 14), "too_long"),
        (local(date(2027, 1, 5), 10), local(date(2027, 1, 5), 11), "too_far_ahead"),
        (local(date(2026, 11, 29), 10), local(date(2026, 11, 29), 11), "outside_opening_hours"),
        (local(TOMORROW, 20), local(date(2026, 11, 25), 10), "outside_opening_hours"),
    ],
)
def test_time_rules(world: World, starts: datetime, ends: datetime, code: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        world.book(world.alice, world.laser1, starts, ends)
    assert code in codes(caught)


def test_closures_and_maintenance_windows(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(
            SiteClosure(
                site_id=1, first_day=TOMORROW, last_day=TOMORROW, holiday=True, reason="Holiday"
            )
        )
        session.add(
            MaintenanceWindow(
                equipment_id=world.laser1,
                starts_at=local(date(2026, 11, 25), 12),
                ends_at=local(date(2026, 11, 25), 14),
            )
        )
    with pytest.raises(RuleViolation) as caught:
        world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    assert codes(caught) == ["site_holiday"]  # a holiday has its own code (issue 16)
    day = date(2026, 11, 25)
    with pytest.raises(RuleViolation) as caught:
        world.book(world.alice, world.laser1, local(day, 13), local(day, 15))
    assert codes(caught) == ["maintenance_window"]
    world.book(world.alice, world.laser1, local(day, 14), local(day, 15))


def test_quotas(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(
            BookingPolicy.model_validate(
                {"equipment_id": world.laser1, "max_hours_per_week": 5, "max_future_bookings": 2}
            )
        )
    world.book(world.alice, world.laser1, local(TOMORROW, 9), local(TOMORROW, 12))
    with pytest.raises(RuleViolation) as caught:
        world.book(world.alice, world.laser1, local(TOMORROW, 13), local(TOMORROW, 16))
    assert codes(caught) == ["weekly_quota"]
    world.book(world.alice, world.laser1, local(TOMORROW, 13), local(TOMORROW, 15))
    next_week = date(2026, 12, 1)
    with pytest.raises(RuleViolation) as caught:
        world.book(world.alice, world.laser1, local(next_week, 13), local(next_week, 14))
    assert codes(caught) == ["future_quota"]


def test_check_in_window_and_completion(world: World) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    with write_session(world.engine) as session:
        with pytest.raises(RuleViolation) as caught:
            bookings.check_in(
                session,
                booking_id=booking.id or 0,
                now=local(TOMORROW, 9, 40),
                settings=SchedulerSettings(),
            )
        assert codes(caught) == ["check_in_too_early"]
        with pytest.raises(RuleViolation) as caught:
            bookings.check_in(
                session,
                booking_id=booking.id or 0,
                now=local(TOMORROW, 10),
                maker_id=world.bob,
                settings=SchedulerSettings(),
            )
        assert codes(caught) == ["not_your_booking"]
        checked = bookings.check_in(
            session,
            booking_id=booking.id or 0,
            now=local(TOMORROW, 9, 50),
            maker_id=world.alice,
            settings=SchedulerSettings(),
        )
        assert checked.state is BookingState.CHECKED_IN
        done = attendance.complete(session, booking_id=booking.id or 0, now=local(TOMORROW, 11))
    assert done.state is BookingState.COMPLETED
    assert done.ends_at == local(TOMORROW, 11)
    # Finishing early freed the rest of the slot.
    world.book(world.bob, world.laser1, local(TOMORROW, 11), local(TOMORROW, 12))


def test_late_check_in_is_refused_and_the_booking_released(world: World) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    with write_session(world.engine) as session:
        with pytest.raises(RuleViolation) as caught:
            bookings.check_in(
                session,
                booking_id=booking.id or 0,
                now=local(TOMORROW, 10, 20),
                settings=SchedulerSettings(),
            )
        assert codes(caught) == ["check_in_too_late"]
        assert (
            releases.release_no_shows(
                session, local(TOMORROW, 10, 10), settings=SchedulerSettings()
            )
            == []
        )
        released = releases.release_no_shows(
            session, local(TOMORROW, 10, 16), settings=SchedulerSettings()
        )
        assert [b.id for b in released] == [booking.id]
        assert (
            releases.release_no_shows(
                session, local(TOMORROW, 10, 17), settings=SchedulerSettings()
            )
            == []
        )
    assert released[0].state is BookingState.NO_SHOW
    # The machine is free again for the rest of the slot.
    world.book(
        world.bob,
        world.laser1,
        local(TOMORROW, 10, 30),
        local(TOMORROW, 12),
        local(TOMORROW, 10, 17),
    )


def test_cancel_free_then_late_and_suspension(world: World) -> None:
    day = TOMORROW
    early = world.book(world.alice, world.laser1, local(day, 10), local(day, 11))
    with write_session(world.engine) as session:
        cancelled = bookings.cancel(
            session,
            booking_id=early.id or 0,
            now=NOW,
            maker_id=world.alice,
            settings=SchedulerSettings(),
        )
    assert cancelled.state is BookingState.CANCELLED
    assert not cancelled.late_cancel
    # Three late cancellations suspend Alice.
    for hour in (12, 14, 16):
        late = world.book(world.alice, world.laser2, local(day, hour), local(day, hour + 1))
        with write_session(world.engine) as session:
            result = bookings.cancel(
                session,
                booking_id=late.id or 0,
                now=local(day, hour) - timedelta(minutes=30),
                maker_id=world.alice,
                settings=SchedulerSettings(),
            )
        assert result.late_cancel
    with session_scope(world.engine) as session:
        assert len(session.exec(select(MakerSuspension)).all()) == 1
    with pytest.raises(RuleViolation) as caught:
        world.book(
            world.alice,
            world.laser1,
            local(date(2026, 11, 26), 10),
            local(date(2026, 11, 26), 11),
            now=local(day, 17),
        )
    assert codes(caught) == ["maker_suspended"]


def test_cancel_twice_is_refused(world: World) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    with write_session(world.engine) as session:
        bookings.cancel(session, booking_id=booking.id or 0, now=NOW, settings=SchedulerSettings())
        with pytest.raises(RuleViolation) as caught:
            bookings.cancel(
                session, booking_id=booking.id or 0, now=NOW, settings=SchedulerSettings()
            )
    assert codes(caught) == ["wrong_state"]


def test_walk_in_and_extend(world: World) -> None:
    now = local(TOMORROW, 10, 7)
    world.book(world.bob, world.laser1, local(TOMORROW, 12), local(TOMORROW, 13))
    with write_session(world.engine) as session:
        walk = bookings.walk_in(
            session,
            maker_id=world.alice,
            equipment_id=world.laser1,
            length=HOUR,
            now=now,
            settings=SchedulerSettings(),
        )
        assert walk.state is BookingState.CHECKED_IN
        assert walk.starts_at == local(TOMORROW, 10, 7)
        longer = bookings.extend(
            session,
            booking_id=walk.id or 0,
            ends_at=local(TOMORROW, 12),
            now=now,
            settings=SchedulerSettings(),
        )
        assert longer.ends_at == local(TOMORROW, 12)
        with pytest.raises(RuleViolation) as caught:
            bookings.extend(
                session,
                booking_id=walk.id or 0,
                ends_at=local(TOMORROW, 12, 30),
                now=now,
                settings=SchedulerSettings(),
            )
        assert codes(caught) == ["slot_taken"]
        assert lookups.current_booking(session, world.laser1, local(TOMORROW, 11)) == walk
        assert lookups.current_booking(session, world.laser1, local(TOMORROW, 12, 30)) is not walk


def test_outage_cancels_and_tells_the_makers(world: World) -> None:
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    world.book(world.bob, world.laser1, local(TOMORROW, 11), local(TOMORROW, 12))
    world.book(world.bob, world.laser2, local(TOMORROW, 11), local(TOMORROW, 12))
    with write_session(world.engine) as session:
        cancelled = releases.cancel_bookings_for_outage(
            session, world.laser1, "Tube broken", NOW, settings=SchedulerSettings()
        )
        assert len(cancelled) == 2
        assert (
            releases.cancel_bookings_for_outage(
                session, world.laser1, "again", NOW, settings=SchedulerSettings()
            )
            == []
        )
    with session_scope(world.engine) as session:
        messages = session.exec(select(Notification)).all()
        mine = bookings.bookings_of(session, world.bob)
    assert sorted(m.recipient for m in messages) == ["alice@example.org", "bob@example.org"]
    assert all("Tube broken" in m.body for m in messages)
    assert [b.state for b in mine] == [BookingState.CANCELLED, BookingState.BOOKED]


@pytest.mark.parametrize(
    ("day", "utc_start"),
    [
        (date(2026, 3, 28), "2026-03-28T09:00:00+00:00"),  # Saturday, winter time (UTC+1)
        (date(2026, 3, 30), "2026-03-30T08:00:00+00:00"),  # Monday after spring forward (UTC+2)
        (date(2026, 10, 24), "2026-10-24T08:00:00+00:00"),  # Saturday, summer time
        (date(2026, 10, 26), "2026-10-26T09:00:00+00:00"),  # Monday after fall back
    ],
)
def test_bookings_across_daylight_saving_changes(world: World, day: date, utc_start: str) -> None:
    now = local(day, 8) - timedelta(days=3)
    booking = world.book(world.alice, world.laser1, local(day, 10), local(day, 12), now=now)
    assert booking.starts_at.isoformat() == utc_start
    assert booking.ends_at - booking.starts_at == 2 * HOUR
    # 20:00 to 21:00 local fits the opening hours on both sides of the change.
    world.book(world.bob, world.laser1, local(day, 20), local(day, 21), now=now)
    with pytest.raises(RuleViolation):
        world.book(world.bob, world.laser1, local(day, 8), local(day, 9, 30), now=now)


def test_booking_on_sqlite_needs_the_write_session(sqlite_world: World) -> None:
    world = sqlite_world
    with session_scope(world.engine) as session, pytest.raises(RuntimeError, match="write_session"):
        bookings.book(
            session,
            maker_id=world.alice,
            equipment_id=world.laser1,
            starts_at=local(TOMORROW, 10),
            ends_at=local(TOMORROW, 11),
            now=NOW,
            settings=SchedulerSettings(),
        )
    with session_scope(world.engine) as session:
        assert session.exec(select(Booking)).all() == []


def test_the_training_a_machine_needs_comes_from_the_cadastre(world: World) -> None:
    """A machine whose cadastre entry names another training category asks for that one."""
    with session_scope(world.engine) as session:
        printer = session.get(Equipment, world.printer)
        assert printer is not None
        printer.training_category_code = "laser"  # e.g. a printer with a laser engraving head
        session.add(printer)
    with pytest.raises(RuleViolation) as refused:
        world.book(world.carol, world.printer, local(TOMORROW, 10), local(TOMORROW, 11))
    assert refused.value.violations[0].code == "not_certified"
    assert "Laser cutter" in str(refused.value)
    world.book(world.alice, world.printer, local(TOMORROW, 10), local(TOMORROW, 11))


def test_a_refusal_names_the_training_in_every_language(world: World) -> None:
    with pytest.raises(RuleViolation) as refused:
        world.book(world.carol, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    category = refused.value.violations[0].params["category"]
    assert category.in_language("fr") == "Laser"
    assert str(category) == "Laser cutter"
    assert "Laser cutter" in str(refused.value)
