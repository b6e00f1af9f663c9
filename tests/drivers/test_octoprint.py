"""The OctoPrint driver against the real OctoPrint and its virtual printer on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from drivers import octoprint as adapter
from drivers.coordinator import restore_tracker
from drivers.outbox import Outbox
from drivers.sessions import OpenSession, SessionTracker
from fabdesk.wire import EventKind, Outcome
from tests.drivers.conftest import wait_until
from tests.drivers.octoprint_peer import OctoPrint, gcode
from tests.drivers.support import of_kind, running, utc_now

MachineFactory = Callable[[OctoPrint], adapter.OctoPrintMachine]

pytestmark = [pytest.mark.octoprint, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox.db")


@pytest.fixture
def machine_for() -> Iterator[Callable[[OctoPrint], adapter.OctoPrintMachine]]:
    clients: list[httpx.Client] = []

    def make(server: OctoPrint) -> adapter.OctoPrintMachine:
        clients.append(adapter.make_client(server.url, server.api_key))
        return adapter.OctoPrintMachine(clients[-1], utc_now, filament_diameter_mm=1.75)

    yield make
    for client in clients:
        client.close()


def tracker(session: OpenSession | None = None) -> SessionTracker:
    return SessionTracker(uuid.uuid4, max_gap_seconds=2.0, session=session)


def test_a_completed_print_is_one_done_session_with_its_filament(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    with running(machine_for(octoprint), outbox, poll_seconds=0.1, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls > 1)
        octoprint.print_file("cube.gcode", gcode(60))
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=60)
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert started.session_id == end.session_id
    assert started.readings.job_name == "cube.gcode"
    assert end.readings.outcome is Outcome.DONE
    last = octoprint.client.get("/api/job").json()["job"]["lastPrintTime"]
    assert end.readings.active_seconds == pytest.approx(last, abs=0.01)
    assert end.readings.material_mm == pytest.approx(48.0, rel=0.05)  # 60 x 0.8 mm
    # 48 mm of 1.75 mm PLA: 48 * pi * 0.875^2 / 1000 * 1.24 g
    assert end.readings.material_g == pytest.approx(0.143, abs=0.01)


def test_a_cancelled_print_is_one_cancelled_session(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    with running(machine_for(octoprint), outbox, poll_seconds=0.1, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls > 1)
        octoprint.print_file("long.gcode", gcode(2000))
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED), timeout=30)
        octoprint.cancel()
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=30)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.CANCELLED
    assert end.readings.job_name == "long.gcode"
    assert len(of_kind(outbox, EventKind.SESSION_STARTED)) == 1


def test_an_octoprint_restart_mid_print_closes_the_session_once(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    machine = machine_for(octoprint)
    with running(machine, outbox, poll_seconds=0.1, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls > 1)
        octoprint.print_file("long.gcode", gcode(2000))
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED), timeout=30)
        octoprint.stop()  # OctoPrint goes away mid-print: the print dies with it
        wait_until(lambda: not loop.health.machine_connected, timeout=30)
        octoprint.start()
        wait_until(lambda: loop.health.machine_connected, timeout=30)
        assert not of_kind(outbox, EventKind.SESSION_ENDED)  # printer still offline: unknown
        octoprint.connect_printer()
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=30)
        # Printing again afterwards is a new session, counted once.
        octoprint.print_file("cube.gcode", gcode(40))
        wait_until(lambda: len(of_kind(outbox, EventKind.SESSION_ENDED)) == 2, timeout=60)
    first, second = of_kind(outbox, EventKind.SESSION_ENDED)
    assert first.readings.outcome is Outcome.INTERRUPTED
    assert second.readings.outcome is Outcome.DONE
    assert first.session_id != second.session_id
    assert len(of_kind(outbox, EventKind.SESSION_STARTED)) == 2


def test_a_driver_restart_mid_print_continues_the_same_session(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    with running(machine_for(octoprint), outbox, poll_seconds=0.1, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls > 1)
        octoprint.print_file("long.gcode", gcode(300))  # ~6 s
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED), timeout=30)
    # The driver is gone; a new one starts from what the outbox kept.
    restored = restore_tracker(outbox, tracker)
    assert restored.session is not None
    with running(machine_for(octoprint), outbox, poll_seconds=0.1, tracker=restored):
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=60)
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.session_id == started.session_id
    assert end.readings.outcome is Outcome.DONE
