"""The serial drivers over real pseudo-terminals against the hardware simulators, with faults."""

from __future__ import annotations

import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drivers.bridge import TcpBridge
from drivers.link import SerialLink, dated
from drivers.machines import GrblMachine, MarlinMachine, MeterMachine
from drivers.outbox import Outbox
from drivers.wire import Event, EventKind, MachineState, Outcome
from hardware.simulators.grbl_laser import GrblLaser
from hardware.simulators.marlin_printer import MarlinPrinter
from hardware.simulators.usage_meter import UsageMeter
from tests.drivers.conftest import wait_until
from tests.drivers.support import of_kind, running, utc_now

# A 1.0 s job: 0.1 s rapid, 0.4 s cutting at S800, 0.1 s rapid, 0.4 s cutting at S500.
JOB = "G21 G90\nM4 S800\nG0 X10 F6000\nG1 X18 F1200\nG0 X28\nG1 S500 X36\nM5\n"


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox.db")


def grbl_machine(laser: GrblLaser) -> GrblMachine:
    return GrblMachine(SerialLink(laser.port, 115200, utc_now), utc_now, stall_seconds=0.5)


def ended(outbox: Outbox) -> list[Event]:
    return of_kind(outbox, EventKind.SESSION_ENDED)


def test_a_laser_job_is_one_session_with_its_laser_on_time(
    laser: GrblLaser, outbox: Outbox
) -> None:
    with running(grbl_machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 2)
        laser.stream(JOB)
        wait_until(lambda: ended(outbox), timeout=10)
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.session_id == started.session_id
    assert end.readings.outcome is Outcome.DONE
    assert laser.laser_on_seconds == pytest.approx(0.8, abs=0.02)
    assert end.readings.active_seconds == pytest.approx(0.8, abs=0.15)  # 50 ms polls
    duration = (end.device_time - started.device_time).total_seconds()
    assert 0.85 < duration < 1.3


def test_an_alarm_ends_the_job_as_failed_and_is_recorded(laser: GrblLaser, outbox: Outbox) -> None:
    with running(grbl_machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 2)
        laser.stream("M4 S800\nG1 X100 F600\n")
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED))
        laser.alarm(1)
        wait_until(lambda: ended(outbox))
    (fault,) = of_kind(outbox, EventKind.FAULT)
    assert fault.readings.detail == "ALARM:1"
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.FAILED


def test_door_and_hold_are_recorded(laser: GrblLaser, outbox: Outbox) -> None:
    with running(grbl_machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 2)
        laser.stream("M4 S800\nG1 X10 F600\n")
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED))
        laser.open_door()
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_PROGRESS))
        laser.close_door()
        wait_until(lambda: len(of_kind(outbox, EventKind.SESSION_PROGRESS)) == 2)
        laser.receive(b"~")
        wait_until(lambda: ended(outbox))
    details = [e.readings.detail for e in of_kind(outbox, EventKind.SESSION_PROGRESS)]
    assert details[:2] == ["Door:1", "Door:0"]
    assert of_kind(outbox, EventKind.SESSION_ENDED)[0].readings.outcome is Outcome.DONE


def test_a_soft_reset_mid_job_fails_the_session(laser: GrblLaser, outbox: Outbox) -> None:
    with running(grbl_machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 2)
        laser.stream("M4 S800\nG1 X100 F600\n")
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED))
        laser.receive(b"\x18")
        wait_until(lambda: ended(outbox))
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.FAILED


def test_garbage_on_the_line_is_skipped(laser: GrblLaser, outbox: Outbox) -> None:
    with running(grbl_machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 2)
        laser.stream(JOB)
        for _ in range(5):
            laser.garbage(200)
            time.sleep(0.05)
        wait_until(lambda: ended(outbox))
        assert loop.health.machine_connected
    assert len(of_kind(outbox, EventKind.SESSION_STARTED)) == 1
    assert ended(outbox)[0].readings.outcome is Outcome.DONE


def test_a_pulled_cable_is_logged_once_and_the_job_goes_on(
    laser: GrblLaser, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), running(grbl_machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 2)
        laser.stream("M4 S800\nG1 X40 F1200\n")  # 2 s
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED))
        laser.drop_line()
        wait_until(lambda: not loop.health.machine_connected)
        time.sleep(0.8)  # several reconnect attempts fail meanwhile
        laser.replug(reset=False)  # the controller kept its own power
        wait_until(lambda: ended(outbox), timeout=10)
    assert caplog.text.count("machine_lost") == 1
    assert caplog.text.count("machine_recovered") == 1
    (started,) = of_kind(outbox, EventKind.SESSION_STARTED)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.session_id == started.session_id
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.active_seconds is not None
    assert end.readings.active_seconds < 2.0 - 0.7  # the time unplugged is not counted


def test_a_pulled_cable_that_resets_the_controller_interrupts_the_session(
    laser: GrblLaser, outbox: Outbox
) -> None:
    with running(grbl_machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 2)
        laser.stream("M4 S800\nG1 X40 F1200\n")
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED))
        laser.drop_line()
        wait_until(lambda: not loop.health.machine_connected)
        laser.replug(reset=True)  # USB-powered: the board restarts, ALARM:3, job lost
        wait_until(lambda: ended(outbox), timeout=10)
        time.sleep(0.3)
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.INTERRUPTED


def test_a_stalled_controller_is_noticed_and_the_session_survives(
    laser: GrblLaser, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), running(grbl_machine(laser), outbox) as loop:
        wait_until(lambda: loop.health.polls > 2)
        laser.stream("M4 S800\nG1 X40 F1200\n")  # 2 s
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED))
        laser.stall(1.0)
        wait_until(lambda: ended(outbox), timeout=10)
    assert "machine_not_answering" in caplog.text
    assert "machine_answering_again" in caplog.text
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.DONE


def test_the_bridge_passes_a_sender_stream_both_ways(laser: GrblLaser, outbox: Outbox) -> None:
    link = SerialLink(laser.port, 115200, utc_now)
    bridge = TcpBridge(link.write, "127.0.0.1", 0)
    link.tap = bridge.to_sender
    bridge.start()
    machine = GrblMachine(link, utc_now, stall_seconds=0.5)
    lines = JOB.encode().splitlines(keepends=True) * 2
    try:
        with running(machine, outbox) as loop:
            wait_until(lambda: loop.health.polls > 2)
            with socket.create_connection(bridge.address, timeout=5) as sender:
                sender.sendall(b"$I\n")
                received = _read_until(sender, b"ok\r\n")
                assert b"[VER:1.1h.20190830:]" in received
                # Character-counting streaming: at most 128 bytes in the controller's buffer.
                in_flight: list[int] = []
                answers = b""
                for line in lines:
                    while sum(in_flight) + len(line) > 128:
                        answers += _read_until(sender, b"\n")
                        while b"ok\r\n" in answers or b"error:" in answers:
                            answers = answers.split(b"\r\n", 1)[1] if b"\r\n" in answers else b""
                            in_flight.pop(0)
                    sender.sendall(line)
                    in_flight.append(len(line))
                wait_until(lambda: laser.jobs_run >= 1 and not laser.planner, timeout=10)
            wait_until(lambda: ended(outbox), timeout=5)
    finally:
        bridge.stop()
    assert laser.laser_on_seconds == pytest.approx(1.6, abs=0.05)
    assert len(of_kind(outbox, EventKind.SESSION_STARTED)) == 1


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        assert chunk, "bridge closed"
        data += chunk
    return data


def test_marlin_sd_print_done_and_cancelled(printer: MarlinPrinter, outbox: Outbox) -> None:
    machine = MarlinMachine(SerialLink(printer.port, 115200, utc_now), utc_now)
    with running(machine, outbox, idle_grace_seconds=0) as loop:
        wait_until(lambda: loop.health.polls > 1)
        printer.start_print("benchy.gcode")  # 600 bytes at 1000 B/s
        wait_until(lambda: ended(outbox))
        printer.start_print("benchy.gcode")
        wait_until(lambda: len(of_kind(outbox, EventKind.SESSION_STARTED)) == 2)
        printer.command("M524")
        wait_until(lambda: len(ended(outbox)) == 2)
    first, second = of_kind(outbox, EventKind.SESSION_ENDED)
    assert first.readings.outcome is Outcome.DONE
    assert first.readings.job_name == "benchy.gcode"
    assert first.readings.active_seconds == pytest.approx(0.6, abs=0.2)
    assert second.readings.outcome is Outcome.CANCELLED


def test_marlin_thermal_runaway_fails_the_print(printer: MarlinPrinter, outbox: Outbox) -> None:
    machine = MarlinMachine(SerialLink(printer.port, 115200, utc_now), utc_now)
    printer.files["long.gcode"] = 100_000
    with running(machine, outbox) as loop:
        wait_until(lambda: loop.health.polls > 1)
        printer.start_print("long.gcode")
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED))
        printer.thermal_runaway()
        wait_until(lambda: ended(outbox))
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.FAILED
    assert "Thermal Runaway" in (of_kind(outbox, EventKind.FAULT)[0].readings.detail or "")


def test_a_usage_meter_session_runs_from_on_to_off(meter: UsageMeter, outbox: Outbox) -> None:
    machine = MeterMachine(SerialLink(meter.port, 9600, utc_now), utc_now)
    with running(machine, outbox, idle_grace_seconds=0) as loop:
        wait_until(lambda: loop.health.polls > 1)
        meter.switch_on(watts=1500)
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_STARTED))
        meter.garbage(100)
        time.sleep(0.5)
        meter.switch_off()
        wait_until(lambda: ended(outbox))
        assert machine.watts == 1500
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.active_seconds == pytest.approx(0.5, abs=0.15)
    assert loop.tracker.state is MachineState.IDLE


def test_the_pty_bridge_lets_a_sender_open_a_port(
    laser: GrblLaser, outbox: Outbox, tmp_path: Path
) -> None:
    import serial

    from drivers.bridge import PtyBridge

    link = SerialLink(laser.port, 115200, utc_now)
    bridge = PtyBridge(link.write, tmp_path / "ttyBRIDGE")
    link.tap = bridge.to_sender
    bridge.start()
    machine = GrblMachine(link, utc_now, stall_seconds=0.5)
    try:
        with running(machine, outbox) as loop:
            wait_until(lambda: loop.health.polls > 2)
            sender = serial.serial_for_url(str(tmp_path / "ttyBRIDGE"), 115200, timeout=0.1)
            try:
                sender.write(b"$I\n")
                answer = b""
                deadline = time.monotonic() + 5
                while b"ok\r\n" not in answer and time.monotonic() < deadline:
                    answer += sender.read(256)
                assert b"[VER:1.1h.20190830:]" in answer
                sender.write(JOB.encode())
                wait_until(lambda: ended(outbox), timeout=10)
            finally:
                sender.close()
    finally:
        bridge.stop()
    assert not (tmp_path / "ttyBRIDGE").exists()
    assert len(of_kind(outbox, EventKind.SESSION_STARTED)) == 1


def test_lines_are_dated_on_the_wall_clock_as_it_reads_when_taken() -> None:
    """A line that came before NTP set the clock moves with the jump; NTP's slewing does not."""
    came = datetime(1970, 1, 1, 0, 1, tzinfo=UTC)
    skew = came.timestamp() - 100.0  # the wall clock's lead over the monotonic one then
    jumped = skew + 1_000_000_000.0
    assert dated(came, 100.0, jumped) == came + timedelta(seconds=1_000_000_000)
    assert dated(came, 100.0, skew + 0.5) == came
