"""OctoPrint's own records and push events, against the real OctoPrint and its virtual printer.

Upload-and-print (how slicers send a job) is billed the filament of OctoPrint's analysis; a print
that ends while the driver is down is recorded done with OctoPrint's print time; a print shorter
than a poll is seen through the push API.
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
from fabdesk.wire import EventKind, Outcome
from tests.drivers.conftest import wait_until
from tests.drivers.octoprint_peer import OctoPrint, gcode
from tests.drivers.support import of_kind, running, utc_now

pytestmark = [pytest.mark.octoprint, pytest.mark.slow, pytest.mark.timeout(900)]

MachineFactory = Callable[..., adapter.OctoPrintMachine]


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


def analysed_length(server: OctoPrint, name: str) -> float:
    wait_until(lambda: server.record(name).get("gcodeAnalysis", {}).get("filament"), timeout=30)
    tools = server.record(name)["gcodeAnalysis"]["filament"]
    return float(sum(tool["length"] for tool in tools.values()))


def last_print(server: OctoPrint, name: str) -> dict[str, float]:
    wait_until(lambda: server.record(name).get("prints", {}).get("last"), timeout=30)
    last: dict[str, float] = server.record(name)["prints"]["last"]
    return last


def test_the_filament_of_several_tools_is_summed() -> None:
    both = {"tool0": {"length": 100.0, "volume": 0.0}, "tool1": {"length": 50.5, "volume": 0.1}}
    assert adapter.filament_length(both) == 150.5
    assert adapter.filament_length({"length": None, "volume": None}) is None
    assert adapter.filament_length(None) is None
    assert websocket_url("https://printer.lab/octo/") == "wss://printer.lab/octo/sockjs/websocket"


def test_upload_and_print_is_billed_the_filament_of_octoprints_analysis(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    machine = machine_for(octoprint)
    with running(machine, outbox, poll_seconds=0.2, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls > 1)
        octoprint.upload_and_print("slicer.gcode", gcode(80))
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=60)
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.session_id == started.session_id
    assert end.readings.outcome is Outcome.DONE
    length = analysed_length(octoprint, "slicer.gcode")
    assert end.readings.material_mm == pytest.approx(length, rel=0.01)
    assert end.readings.material_g == pytest.approx(adapter.grams(length, 1.75, 1.24), rel=0.01)
    last = last_print(octoprint, "slicer.gcode")
    assert last["success"] is True
    assert end.readings.active_seconds == pytest.approx(last["printTime"], abs=0.01)


def test_a_print_that_ends_while_the_driver_is_down_is_done_with_octoprints_time(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    with running(machine_for(octoprint), outbox, poll_seconds=0.1, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls > 1)
        octoprint.upload_and_print("away.gcode", gcode(250))  # ~3 s
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED), timeout=30)
    # The driver is gone; the print ends meanwhile and OctoPrint records it.
    octoprint.wait_state("Operational", timeout=60)
    last = last_print(octoprint, "away.gcode")
    restored = restore_tracker(outbox, tracker)
    assert restored.session is not None
    with running(machine_for(octoprint), outbox, poll_seconds=0.1, tracker=restored):
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=30)
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.session_id == started.session_id
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
    with running(machine, outbox, poll_seconds=5.0, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls >= 1 and machine.push and machine.push.connected)
        polls = loop.health.polls
        octoprint.upload_and_print("quick.gcode", gcode(20, feed=60000))  # well under a second
        last = last_print(octoprint, "quick.gcode")
        assert loop.health.polls == polls  # the print began and ended between two polls
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=30)
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.session_id == started.session_id
    assert started.readings.job_name == "quick.gcode"
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.active_seconds == pytest.approx(last["printTime"], abs=0.01)
    assert end.readings.material_mm == pytest.approx(analysed_length(octoprint, "quick.gcode"))


def test_without_the_push_api_polling_still_follows_a_print(
    octoprint: OctoPrint, outbox: Outbox, machine_for: MachineFactory
) -> None:
    machine = machine_for(octoprint, push=False)
    with running(machine, outbox, poll_seconds=0.1, tracker=tracker()) as loop:
        wait_until(lambda: loop.health.polls > 1)
        octoprint.upload_and_print("polled.gcode", gcode(60))
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=60)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.material_mm == pytest.approx(analysed_length(octoprint, "polled.gcode"))


def test_only_an_octoprint_driver_loads_the_websocket_library() -> None:
    code = (
        "import sys, json, drivers.daemon, drivers.octoprint\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "websockets" not in json.loads(result.stdout)
