"""Free slots, the next free slot of a category, and a site's day board."""

from __future__ import annotations

from datetime import date, timedelta

from fabdesk.db import session_scope
from fabdesk.models import BookingPolicy, MaintenanceWindow, SiteClosure
from fabdesk.settings import SchedulerSettings
from scheduling import availability
from tests.scheduling.conftest import HOUR, NOW, TOMORROW, World, local


def test_site_board_shows_bookings_buffers_and_maintenance(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(
            BookingPolicy.model_validate({"equipment_id": world.laser1, "buffer_minutes": 15})
        )
        session.add(
            MaintenanceWindow(
                equipment_id=world.laser2,
                starts_at=local(TOMORROW, 14),
                ends_at=local(TOMORROW, 16),
            )
        )
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    with session_scope(world.engine) as session:
        board = availability.site_board(session, "lab-a", TOMORROW)
    assert board.closed is None
    assert board.opening == ((local(TOMORROW, 9), local(TOMORROW, 21)),)
    by_tag = {m.asset_tag: m for m in board.machines}
    assert set(by_tag) == {"A-00003-K", "A-00001-O", "A-00002-M"}
    laser1 = by_tag["A-00001-O"].blocks
    assert [(b.kind, b.booking_id) for b in laser1] == [
        ("booking", booking.id),
        ("buffer", booking.id),
    ]
    assert laser1[1].ends_at == local(TOMORROW, 12, 15)
    assert [b.kind for b in by_tag["A-00002-M"].blocks] == ["maintenance"]
    assert by_tag["A-00003-K"].blocks == ()


def test_board_of_a_closed_day_and_a_dst_day(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(SiteClosure(site_id=1, first_day=TOMORROW, last_day=TOMORROW, reason="Audit"))
    with session_scope(world.engine) as session:
        assert availability.site_board(session, "lab-a", TOMORROW).closed == "Audit"
        dst = availability.site_board(session, "lab-a", date(2026, 3, 28))
    assert dst.opening[0][0].utcoffset() == timedelta(hours=1)


def test_free_slots_leave_room_for_the_buffer(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(
            BookingPolicy.model_validate({"equipment_id": world.laser1, "buffer_minutes": 30})
        )
    world.book(world.alice, world.laser1, local(TOMORROW, 12), local(TOMORROW, 14))
    with session_scope(world.engine) as session:
        slots = availability.free_slots(
            session, world.laser1, TOMORROW, length=HOUR, settings=SchedulerSettings()
        )
    assert [(s.starts_at, s.ends_at) for s in slots] == [
        (local(TOMORROW, 9), local(TOMORROW, 11, 30)),
        (local(TOMORROW, 14, 30), local(TOMORROW, 21)),
    ]


def test_next_free_slot_across_sites(world: World) -> None:
    # Both lasers of lab A are taken all Tuesday morning; Lab B opens at 10:00.
    for machine, maker in ((world.laser1, world.alice), (world.laser2, world.bob)):
        world.book(maker, machine, local(TOMORROW, 9), local(TOMORROW, 13))
    now = local(TOMORROW, 8, 50)
    with session_scope(world.engine) as session:
        anywhere = availability.next_free_slot(
            session, "laser", 2 * HOUR, now, settings=SchedulerSettings()
        )
        at_a = availability.next_free_slot(
            session, "laser", 2 * HOUR, now, site="lab-a", settings=SchedulerSettings()
        )
        none = availability.next_free_slot(
            session, "laser", 20 * HOUR, NOW, settings=SchedulerSettings()
        )
        category = availability.free_slots_of_category(
            session, "laser", TOMORROW, length=HOUR, settings=SchedulerSettings()
        )
    assert anywhere is not None
    assert anywhere.site_code == "lab-b"
    assert anywhere.starts_at == local(TOMORROW, 10)
    assert at_a is not None
    assert at_a.starts_at == local(TOMORROW, 13)
    assert none is None
    assert {s.equipment_id for s in category} == {world.laser1, world.laser2, world.laser_b}


def test_next_free_slot_rounds_now_up_to_the_quarter(world: World) -> None:
    now = local(TOMORROW, 9, 7)
    with session_scope(world.engine) as session:
        slot = availability.next_free_slot(session, "fdm", HOUR, now, settings=SchedulerSettings())
    assert slot is not None
    assert slot.starts_at == local(TOMORROW, 9, 15)


def test_next_free_slot_skips_closed_days_and_closed_weekdays(world: World) -> None:
    with session_scope(world.engine) as session:
        session.add(
            SiteClosure(site_id=2, first_day=TOMORROW, last_day=date(2026, 11, 28), reason="Works")
        )
    # Saturday 28 November, 22:00: lab A is closed on Sunday, lab B closed until Saturday.
    now = local(date(2026, 11, 28), 22)
    with session_scope(world.engine) as session:
        slot = availability.next_free_slot(
            session, "laser", 2 * HOUR, now, settings=SchedulerSettings()
        )
        at_b = availability.next_free_slot(
            session, "laser", 2 * HOUR, NOW, site="lab-b", settings=SchedulerSettings()
        )
    assert slot is not None
    assert slot.site_code == "lab-a"
    assert slot.starts_at == local(date(2026, 11, 30), 9)
    assert at_b is not None
    assert at_b.starts_at == local(date(2026, 12, 1), 10)
