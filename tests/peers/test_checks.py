"""Machines checked after each use: a finished usage session or a completed booking sends the
machine to "to check"; bookings, walk-ins and check-ins are refused until a manager or a trainer
releases it; the use is still recorded and charged; the history keeps every step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from fabdesk.db import session_scope, write_session
from fabdesk.errors import RuleViolation
from fabdesk.models import Equipment, EquipmentStatus, Maker, UsageCharge
from fabdesk.settings import SchedulerSettings, Settings
from inventory.checks import release_check, set_check_after_use
from inventory.managers import set_pin
from inventory.register import history
from inventory.trainings import grant_trainer
from scheduling.attendance import check_in, complete, complete_finished
from scheduling.bookings import walk_in
from tests.peers.conftest import cli, make_manager, run_job
from tests.scheduling.conftest import NOW, TOMORROW, World, local

LASER = "A-00001-O"


def _check_after_use(world: World, tag: str = LASER) -> None:
    with session_scope(world.engine) as session:
        set_check_after_use(session, tag, True, actor=None, now=NOW)


def _status(world: World, machine: int) -> EquipmentStatus:
    with session_scope(world.engine) as session:
        item = session.get(Equipment, machine)
        assert item is not None
        return item.status


def test_a_finished_session_sends_the_machine_to_check_and_is_still_charged(
    world: World, settings: Settings
) -> None:
    _check_after_use(world)
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    later = world.book(world.bob, world.laser1, local(TOMORROW, 12), local(TOMORROW, 13))
    usage = run_job(world, LASER, local(TOMORROW, 10, 5), settings=settings)
    assert usage.maker_id == world.alice
    assert _status(world, world.laser1) is EquipmentStatus.TO_CHECK
    with session_scope(world.engine) as session:
        charge = session.exec(
            select(UsageCharge).where(UsageCharge.usage_session_id == usage.id)
        ).one()
    assert charge.total_cents > 0
    # Bookings, walk-ins and check-ins of that machine are refused with their own code.
    with pytest.raises(RuleViolation) as refused:
        world.book(world.alice, world.laser1, local(TOMORROW, 15), local(TOMORROW, 16))
    assert refused.value.code == "machine_to_check"
    with write_session(world.engine) as session, pytest.raises(RuleViolation) as refused:
        walk_in(
            session,
            maker_id=world.bob,
            equipment_id=world.laser1,
            length=timedelta(hours=1),
            now=local(TOMORROW, 11, 10),
            settings=SchedulerSettings(),
        )
    assert refused.value.code == "machine_to_check"
    with session_scope(world.engine) as session, pytest.raises(RuleViolation) as refused:
        check_in(
            session,
            booking_id=later.id or 0,
            now=local(TOMORROW, 12),
            maker_id=world.bob,
            settings=SchedulerSettings(),
        )
    assert refused.value.code == "machine_to_check"
    assert "Laser 1" in str(refused.value)
    # Other machines are not touched.
    world.book(world.carol, world.printer, local(TOMORROW, 14), local(TOMORROW, 15))


def test_a_completed_booking_sends_the_machine_to_check(world: World) -> None:
    _check_after_use(world)
    early = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    late = world.book(world.bob, world.laser2, local(TOMORROW, 10), local(TOMORROW, 11))
    with session_scope(world.engine) as session:
        for booking in (early, late):
            check_in(
                session,
                booking_id=booking.id or 0,
                now=local(TOMORROW, 10),
                settings=SchedulerSettings(),
            )
        complete(session, booking_id=early.id or 0, now=local(TOMORROW, 10, 30))
    assert _status(world, world.laser1) is EquipmentStatus.TO_CHECK
    assert _status(world, world.laser2) is EquipmentStatus.IN_SERVICE  # no check asked
    _check_after_use(world, "A-00002-M")
    with session_scope(world.engine) as session:
        assert [b.id for b in complete_finished(session, local(TOMORROW, 11))] == [late.id]
    assert _status(world, world.laser2) is EquipmentStatus.TO_CHECK


def test_only_a_manager_or_a_trainer_releases_it_and_the_history_says_so(world: World) -> None:
    _check_after_use(world)
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    with session_scope(world.engine) as session:
        check_in(
            session,
            booking_id=booking.id or 0,
            now=local(TOMORROW, 10),
            settings=SchedulerSettings(),
        )
        complete(session, booking_id=booking.id or 0, now=local(TOMORROW, 10, 30))
    after = local(TOMORROW, 10, 40)
    with session_scope(world.engine) as session, pytest.raises(RuleViolation) as refused:
        release_check(session, LASER, by_maker_id=world.carol, now=after)
    assert refused.value.code == "not_allowed_to_release"
    with session_scope(world.engine) as session:
        grant_trainer(session, maker_id=world.carol, category_code="laser")
        release_check(session, LASER, by_maker_id=world.carol, now=after, note="lens clean")
    assert _status(world, world.laser1) is EquipmentStatus.IN_SERVICE
    with session_scope(world.engine) as session, pytest.raises(RuleViolation) as refused:
        release_check(session, LASER, by_maker_id=world.carol, now=after)
    assert refused.value.code == "not_to_check"
    with session_scope(world.engine) as session:
        events = [(e.field, e.new_value, e.actor_id, e.reason) for e in history(session, LASER)]
    assert events[-3:] == [
        ("check_after_use", "yes", None, ""),
        ("status", "to_check", None, f"booking {booking.id} completed"),
        ("status", "in_service", world.carol, "checked after use: lens clean"),
    ]
    world.book(world.bob, world.laser1, local(TOMORROW, 12), local(TOMORROW, 13))


def test_a_manager_of_the_site_releases_it_one_of_another_site_may_not(world: World) -> None:
    _check_after_use(world)
    with session_scope(world.engine) as session:
        bob = session.get(Maker, world.bob)
        assert bob is not None
        set_pin(session, bob, "4321", site_code="lab-b")
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    with session_scope(world.engine) as session:
        check_in(
            session,
            booking_id=booking.id or 0,
            now=local(TOMORROW, 10),
            settings=SchedulerSettings(),
        )
        complete(session, booking_id=booking.id or 0, now=local(TOMORROW, 10, 30))
    with session_scope(world.engine) as session, pytest.raises(RuleViolation) as refused:
        release_check(session, LASER, by_maker_id=world.bob, now=local(TOMORROW, 11))
    assert refused.value.code == "not_allowed_to_release"
    with session_scope(world.engine) as session:
        carol = session.get(Maker, world.carol)
        assert carol is not None
        set_pin(session, carol, "1234", site_code="lab-a")
        release_check(session, LASER, by_maker_id=world.carol, now=local(TOMORROW, 11))
    assert _status(world, world.laser1) is EquipmentStatus.IN_SERVICE


def test_the_commands(world: World, database_url: str) -> None:
    make_manager(world, world.bob)  # a network admin
    result = cli(database_url, "equipment", "check-after-use", LASER, "--as", "M-2")
    assert result.exit_code == 0, result.output
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    with session_scope(world.engine) as session:
        check_in(
            session,
            booking_id=booking.id or 0,
            now=local(TOMORROW, 10),
            settings=SchedulerSettings(),
        )
        complete(session, booking_id=booking.id or 0, now=local(TOMORROW, 10, 30))
    refused = cli(database_url, "equipment", "release", LASER, "--as", "M-3")
    assert isinstance(refused.exception, RuleViolation)
    assert refused.exception.code == "not_allowed_to_release"
    with session_scope(world.engine) as session:
        grant_trainer(session, maker_id=world.carol, category_code="laser")
    result = cli(database_url, "equipment", "release", LASER, "--as", "M-3", "--note", "ok")
    assert result.exit_code == 0, result.output
    assert _status(world, world.laser1) is EquipmentStatus.IN_SERVICE
    result = cli(database_url, "equipment", "check-after-use", LASER, "--as", "M-2", "--off")
    assert result.exit_code == 0, result.output
