"""GRBL: only a powered laser is usage; the bridge logs a lost line once and its return once.

Real pseudo-terminals against `hardware.simulators.grbl_laser`, which reports `FS:` and `A:` as
GRBL 1.1h does.
"""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drivers.bridge import TcpBridge
from drivers.link import SerialLink
from drivers.machines import GrblMachine, status_observation
from drivers.outbox import Outbox
from drivers.protocols import grbl
from fabdesk.wire import EventKind, MachineState, Outcome
from hardware.simulators.grbl_laser import GrblLaser
from tests.drivers.conftest import wait_until
from tests.drivers.support import of_kind, running, utc_now

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# LightBurn's "frame": the job's outline traced with the beam off (M5, or M4 at S0), air on.
FRAME = "M8\nM5\nG0 X5 F6000\nG1 X25 F3000\nG1 Y10\nG1 X5\nG1 Y0\nM4 S0\nG1 X25\nM9\n"
CUT = "G91\nM4 S800\nG1 X-10 F1200\nM5\nG90\n"  # 0.5 s of cutting


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox.db")


def machine(laser: GrblLaser) -> GrblMachine:
    return GrblMachine(SerialLink(laser.port, 115200, utc_now), utc_now, stall_seconds=0.5)


def observe(report: str) -> tuple[MachineState, bool, bool]:
    status = grbl.parse_line(report)
    assert isinstance(status, grbl.Status)
    obs = status_observation(NOW, status)
    return obs.state, obs.active, obs.can_start


def test_power_is_the_spindle_value_with_the_spindle_on() -> None:
    assert observe("<Run|MPos:1,0,0|FS:1200,800|A:C>") == (MachineState.RUNNING, True, True)
    assert observe("<Run|MPos:1,0,0|FS:1200,800|A:SF>") == (MachineState.RUNNING, True, True)
    # A rapid, or a move at S0 with air assist on: the machine runs, the laser does not work.
    assert observe("<Run|MPos:1,0,0|FS:6000,0>") == (MachineState.RUNNING, False, False)
    assert observe("<Run|MPos:1,0,0|FS:3000,0|A:F>") == (MachineState.RUNNING, False, False)
    assert observe("<Jog|MPos:1,0,0|FS:3000,0>") == (MachineState.IDLE, False, False)
    assert observe("<Jog|MPos:1,0,0|FS:3000,300|A:S>") == (MachineState.RUNNING, True, True)


def test_the_simulator_reports_accessories_as_grbl_does(laser: GrblLaser) -> None:
    laser.stream("M8\nM4 S800\nG1 X30 F600\n")
    wait_until(lambda: laser.state == "Run" and laser.planner)
    report = laser.report()
    assert "|FS:600,800|" in report
    assert report.endswith("|A:CF>")
    laser.realtime(b"\x18")  # Ctrl-X: motion stops, outputs off
    wait_until(lambda: laser.state in ("Alarm", "Idle"))
    assert "A:" not in laser.report()


def test_framing_and_jogging_with_the_beam_off_are_not_usage(
    laser: GrblLaser, outbox: Outbox
) -> None:
    with running(machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 2)
        laser.stream(FRAME)
        wait_until(lambda: laser.state == "Run")
        wait_until(lambda: laser.state == "Idle" and not laser.planner, timeout=10)
        laser.stream("$J=G91 X10 F3000\n")
        wait_until(lambda: laser.state == "Jog")
        wait_until(lambda: laser.state == "Idle", timeout=5)
        polls = loop.health.polls
        wait_until(lambda: loop.health.polls > polls + 8)  # past the idle grace
        assert not of_kind(outbox, EventKind.SESSION_STARTED)
        # The real cut after the framing is one session, with only its laser-on time.
        laser.stream(CUT)
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=10)
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.session_id == started.session_id
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.active_seconds == pytest.approx(0.5, abs=0.15)


def test_a_rapid_under_way_when_the_driver_connects_opens_no_session(
    laser: GrblLaser, outbox: Outbox
) -> None:
    laser.stream("G0 X200 Y200\n")  # 6000 mm/min: ~4.7 s of rapid
    wait_until(lambda: laser.state == "Run")
    with running(machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 3)
        assert loop.tracker.state is MachineState.RUNNING
        laser.realtime(b"!")  # feed hold, then the sender stops the job
        laser.realtime(b"\x18")
        wait_until(lambda: laser.state in ("Alarm", "Idle"))
        polls = loop.health.polls
        wait_until(lambda: loop.health.polls > polls + 10)
    assert not of_kind(outbox, EventKind.SESSION_STARTED)
    assert not of_kind(outbox, EventKind.SESSION_ENDED)


def test_the_bridge_logs_a_lost_line_once_and_its_return_once(
    laser: GrblLaser, caplog: pytest.LogCaptureFixture
) -> None:
    link = SerialLink(laser.port, 115200, utc_now)
    bridge = TcpBridge(link.write, "127.0.0.1", 0)
    link.tap = bridge.to_sender
    link.open()
    bridge.start()
    try:
        with (
            caplog.at_level(logging.INFO, logger="drivers.bridge"),
            socket.create_connection(bridge.address, timeout=5) as sender,
        ):
            laser.drop_line()
            wait_until(lambda: link.failure is not None)
            for _ in range(20):  # a sender polls `?` ten times a second: two seconds of it
                sender.sendall(b"?")
                time.sleep(0.1)
            laser.replug(reset=False)
            link.close()
            link.open()  # what the machine loop does when the port is back
            for _ in range(10):
                sender.sendall(b"?")
                time.sleep(0.05)
            answer = b""
            while b"<Idle" not in answer:  # the sender hears the controller again
                chunk = sender.recv(4096)
                assert chunk, "bridge closed"
                answer += chunk
    finally:
        bridge.stop()
        link.close()
    lost = [r for r in caplog.records if "bridge_line_lost" in r.getMessage()]
    back = [r for r in caplog.records if "bridge_line_back" in r.getMessage()]
    assert len(lost) == 1
    assert len(back) == 1
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 2
