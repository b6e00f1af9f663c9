"""Problem reports: a serious one puts the machine out of order, cancels its bookings (makers
told) and warns the managers; the others wait in the managers' list."""

from __future__ import annotations

import pytest
from sqlmodel import select

from fabdesk.actors import Actor
from fabdesk.db import session_scope
from fabdesk.errors import InvalidValue, NotFound, RuleViolation
from fabdesk.models import Booking, BookingState, Equipment, EquipmentStatus, Notification, id_of
from fabdesk.settings import DeskSettings, SchedulerSettings
from scheduling.problems import list_problems, report_problem, resolve_problem
from tests.peers.conftest import cli, make_manager
from tests.scheduling.conftest import NOW, TOMORROW, World, local

MANAGERS = "managers@cityfab.example"


def _report(world: World, machine: int, text: str, *, serious: bool) -> int:
    with session_scope(world.engine) as session:
        reported = report_problem(
            session,
            maker_id=world.alice,
            equipment_id=machine,
            text=text,
            serious=serious,
            now=NOW,
            desk=DeskSettings(managers_email=MANAGERS, language="nl"),
            settings=SchedulerSettings(),
        )
        return id_of(reported.report)


def test_a_minor_problem_is_listed_for_the_managers_only(world: World) -> None:
    booking = world.book(world.bob, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    problem = _report(world, world.laser1, "The honeycomb bed is dirty.", serious=False)
    with session_scope(world.engine) as session:
        [(report, tag)] = list_problems(session)
        assert (report.id, tag, report.serious) == (problem, "A-00001-O", False)
        machine = session.get(Equipment, world.laser1)
        assert machine is not None
        assert machine.status is EquipmentStatus.IN_SERVICE
        stored = session.get(Booking, booking.id)
        assert stored is not None
        assert stored.state is BookingState.BOOKED
        assert session.exec(select(Notification)).all() == []


def test_a_serious_problem_stops_the_machine_and_tells_everyone(world: World) -> None:
    future = world.book(world.bob, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    other_machine = world.book(world.bob, world.laser2, local(TOMORROW, 10), local(TOMORROW, 11))
    _report(world, world.laser1, "Smoke from the tube!", serious=True)
    with session_scope(world.engine) as session:
        machine = session.get(Equipment, world.laser1)
        assert machine is not None
        assert machine.status is EquipmentStatus.OUT_OF_ORDER
        cancelled = session.get(Booking, future.id)
        untouched = session.get(Booking, other_machine.id)
        assert cancelled is not None
        assert untouched is not None
        assert cancelled.state is BookingState.CANCELLED
        assert "Smoke from the tube!" in cancelled.reason
        assert untouched.state is BookingState.BOOKED
        messages = {m.kind: m for m in session.exec(select(Notification)).all()}
        assert messages["booking_cancelled_outage"].maker_id == world.bob
        assert messages["problem_serious"].recipient == MANAGERS
        assert "Smoke" in messages["problem_serious"].body
    with pytest.raises(RuleViolation):
        world.book(world.alice, world.laser1, local(TOMORROW, 14), local(TOMORROW, 15))


def test_bad_reports_are_refused_and_resolving_is_idempotent(world: World, admin: Actor) -> None:
    other = make_manager(world, world.bob)
    with pytest.raises(InvalidValue) as empty:
        _report(world, world.laser1, "  ", serious=True)
    assert empty.value.code == "problem_text_required"
    with pytest.raises(NotFound) as unknown:
        _report(world, 999, "Broken", serious=False)
    assert unknown.value.code == "machine_not_found"
    problem = _report(world, world.printer, "Nozzle clogged.", serious=False)
    with session_scope(world.engine) as session:
        resolve_problem(session, problem_id=problem, resolution="Cleaned.", actor=admin, now=NOW)
        again = resolve_problem(session, problem_id=problem, resolution="x", actor=other, now=NOW)
        assert (again.resolution, again.resolved_by_id) == ("Cleaned.", world.carol)
        assert list_problems(session) == []
        assert len(list_problems(session, open_only=False, site_code="lab-a")) == 1
        assert list_problems(session, open_only=False, site_code="lab-b") == []
        with pytest.raises(NotFound) as missing:
            resolve_problem(session, problem_id=999, resolution="", actor=admin, now=NOW)
        assert missing.value.code == "problem_not_found"


def test_cli_lists_and_resolves(world: World, database_url: str, admin: Actor) -> None:
    problem = _report(world, world.printer, "Nozzle clogged.", serious=False)
    listing = cli(database_url, "problems", "list")
    assert listing.exit_code == 0, listing.output
    assert "Nozzle clogged." in listing.stdout
    done = cli(database_url, "problems", "resolve", str(problem), "--as", "M-3")
    assert done.exit_code == 0, done.output
    assert "Nozzle" not in cli(database_url, "problems", "list").stdout
