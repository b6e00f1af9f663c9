"""The OctoPrint driver against the real OctoPrint and its virtual printer on 127.0.0.1.

Besides the polled life of a print: upload-and-print (how slicers send a job) is billed the
filament of OctoPrint's analysis; a print that ends while the driver is down is recorded done with
OctoPrint's print time; a print shorter than a poll is seen through the push API.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from drivers import octoprint as adapter
from drivers.coordinator import restore_tracker
from drivers.octoprint_push import websocket_url
from drivers.outbox import Outbox
from drivers.sessions import OpenSession, SessionTracker
from drivers.wire import Event, EventKind, Outcome
from tests.drivers.conftest import wait_until
from tests.drivers.octoprint_peer import OctoPrint, gcode
from tests.drivers.support import of_kind, running, utc_now

MachineFactory = Callable[..., adapter.OctoPrintMachine]

pytestmark = [pytest.mark.octoprint, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox.db")


@pytest.fixture
def machine_for() -> Iterator[MachineFactory]:
    clients: list[httpx.Client] = []

    def make(server: OctoPrint, **options: object) -> adapter.OctoPrintMachine:
        clients.append(adapter.make_client(server.url, server.api_key))
        return adapter.OctoPrintMachine(
            clients[-1],
            utc_now,
            filament_diameter_mm=1.75,
            filament_density_g_cm3=1.24,
            **options,  # type: ignore[arg-type]
        )

    yield make
    for client in clients:
        client.close()


def tracker(session: OpenSession | None = None) -> SessionTracker:
    return SessionTracker(uuid.uuid4, max_gap_seconds=2.0, session=session)


def gone_mid_print(
    machine: adapter.OctoPrintMachine, outbox: Outbox, start: Callable[[], None]
) -> SessionTracker:
    """A driver sees a print start, then goes away: the tracker the next driver restores."""
    with running(machine, outbox, poll_seconds=0.1, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls > 1)
        start()
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED), timeout=30)
    restored = restore_tracker(outbox, tracker)
    assert restored.session is not None
    return restored


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
    restored = gone_mid_print(
        machine_for(octoprint), outbox, lambda: octoprint.print_file("long.gcode", gcode(300))
    )
    with running(machine_for(octoprint), outbox, poll_seconds=0.1, tracker=restored):
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=60)
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.session_id == started.session_id
    assert end.readings.outcome is Outcome.DONE


def analysed_length(server: OctoPrint, name: str) -> float:
    wait_until(lambda: server.record(name).get("gcodeAnalysis", {}).get("filament"), timeout=30)
    tools = server.record(name)["gcodeAnalysis"]["filament"]
    return float(sum(tool["length"] for tool in tools.values()))


def last_print(server: OctoPrint, name: str) -> dict[str, float]:
    wait_until(lambda: server.record(name).get("prints", {}).get("last"), timeout=30)
    last: dict[str, float] = server.record(name)["prints"]["last"]
    return last


def one_session(outbox: Outbox) -> Event:
    """The end of the one session recorded, checked against its start."""
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.session_id == started.session_id
    return end


def upload_and_follow(
    server: OctoPrint, machine: adapter.OctoPrintMachine, outbox: Outbox, name: str, moves: int
) -> Event:
    """A slicer's upload-and-print followed by a driver to its end: the session's end."""
    with running(machine, outbox, poll_seconds=0.1, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls > 1)
        server.upload_and_print(name, gcode(moves))
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=60)
    end = one_session(outbox)
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.material_mm == pytest.approx(analysed_length(server, name), rel=0.01)
    return end


def test_the_filament_of_several_tools_is_summed() -> None:
    both = {"tool0": {"length": 100.0, "volume": 0.0}, "tool1": {"length": 50.5, "volume": 0.1}}
    assert adapter.filament_length(both) == 150.5
    assert adapter.filament_length({"length": None, "volume": None}) is None
    assert adapter.filament_length(None) is None
    assert websocket_url("https://printer.lab/octo/") == "wss://printer.lab/octo/sockjs/websocket"


def test_upload_and_print_is_billed_the_filament_of_octoprints_analysis(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    end = upload_and_follow(octoprint, machine_for(octoprint), outbox, "slicer.gcode", 80)
    length = analysed_length(octoprint, "slicer.gcode")
    assert end.readings.material_g == pytest.approx(adapter.grams(length, 1.75, 1.24), rel=0.01)
    last = last_print(octoprint, "slicer.gcode")
    assert last["success"] is True
    assert end.readings.active_seconds == pytest.approx(last["printTime"], abs=0.01)


def test_a_print_that_ends_while_the_driver_is_down_is_done_with_octoprints_time(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    restored = gone_mid_print(
        machine_for(octoprint), outbox, lambda: octoprint.upload_and_print("away.gcode", gcode(250))
    )
    # The print (~3 s) ends while no driver runs, and OctoPrint records it.
    octoprint.wait_state("Operational", timeout=60)
    last = last_print(octoprint, "away.gcode")
    with running(machine_for(octoprint), outbox, poll_seconds=0.1, tracker=restored):
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=30)
    end = one_session(outbox)
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.active_seconds == pytest.approx(last["printTime"], abs=0.01)
    assert end.readings.material_mm == pytest.approx(analysed_length(octoprint, "away.gcode"))
    recorded_end = datetime.fromtimestamp(last["date"], UTC)
    assert abs((end.device_time - recorded_end).total_seconds()) < 0.5


def test_a_print_shorter_than_a_poll_is_recorded(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    machine = machine_for(octoprint)
    assert machine.push is not None
    with running(machine, outbox, poll_seconds=10.0, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls >= 1 and machine.push and machine.push.connected)
        polls = loop.health.polls
        octoprint.upload_and_print("quick.gcode", gcode(20, feed=60000))  # well under a second
        last = last_print(octoprint, "quick.gcode")
        assert loop.health.polls == polls  # the print began and ended between two polls
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=30)
    end = one_session(outbox)
    assert end.readings.job_name == "quick.gcode"
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.active_seconds == pytest.approx(last["printTime"], abs=0.01)
    assert end.readings.material_mm == pytest.approx(analysed_length(octoprint, "quick.gcode"))


def test_without_the_push_api_polling_still_follows_a_print(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    machine = machine_for(octoprint, push=False)
    assert machine.push is None
    upload_and_follow(octoprint, machine, outbox, "polled.gcode", 60)


def test_only_an_octoprint_driver_loads_the_websocket_library() -> None:
    code = (
        "import sys, json, drivers.daemon, drivers.octoprint\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "websockets" not in json.loads(result.stdout)
