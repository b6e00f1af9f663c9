"""Marlin spoken to as OctoPrint and Pronterface do: one command at a time, auto-reports, busy.

Real pseudo-terminals against `hardware.simulators.marlin_printer`, whose blocking commands hold
its command loop (what the host sends meanwhile waits in its 128-byte receive buffer).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from drivers.link import SerialLink
from drivers.machines import MarlinMachine
from drivers.outbox import Outbox
from drivers.protocols import marlin
from fabdesk.wire import EventKind, Outcome
from hardware.simulators.marlin_printer import MarlinPrinter
from tests.drivers.conftest import wait_until
from tests.drivers.support import of_kind, running, utc_now


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox.db")


@pytest.fixture
def reporting(tmp_path: Path) -> Iterator[MarlinPrinter]:
    """A Marlin built with both auto-reports."""
    yield from simulated(tmp_path, 2000, autoreport_sd=True)


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[MarlinPrinter]:
    """A Marlin without auto-reports: the host polls M27 and M105."""
    yield from simulated(tmp_path, 1500, autoreport_temp=False)


def simulated(tmp_path: Path, size: int, **capabilities: bool) -> Iterator[MarlinPrinter]:
    with MarlinPrinter(tmp_path / "ttyMARLIN", files={"benchy.gcode": size}, **capabilities) as sim:
        yield sim


def machine(printer: MarlinPrinter, **options: float) -> MarlinMachine:
    return MarlinMachine(SerialLink(printer.port, 115200, utc_now), utc_now, **options)  # type: ignore[arg-type]


def test_capabilities_and_busy_lines_are_read() -> None:
    assert marlin.parse_line("Cap:AUTOREPORT_TEMP:1") == marlin.Capability("AUTOREPORT_TEMP", True)
    assert marlin.parse_line("Cap:AUTOREPORT_SD_STATUS:0") == marlin.Capability(
        "AUTOREPORT_SD_STATUS", False
    )
    assert isinstance(marlin.parse_line("echo:busy: processing"), marlin.Busy)
    assert isinstance(marlin.parse_line("busy: paused for user"), marlin.Busy)


def test_announced_auto_reports_replace_the_polls(reporting: MarlinPrinter, outbox: Outbox) -> None:
    printer = reporting
    with running(machine(printer, report_seconds=1), outbox, idle_grace_seconds=0) as loop:
        wait_until(lambda: loop.health.polls > 5)
        assert {"AUTOREPORT_SD_STATUS", "AUTOREPORT_TEMP"} <= loop.machine.capabilities  # type: ignore[attr-defined]
        wait_until(lambda: "M27 C" in printer.commands)
        asked = len(printer.commands)
        time.sleep(1.0)  # twenty polls: nothing asked, the printer reports by itself
        assert len(printer.commands) == asked
        printer.start_print("benchy.gcode")  # 2 s, from the printer's own menu
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=15)
    assert printer.commands[:4] == ["M115", "M27 S1", "M155 S1", "M27 C"]
    assert "M105" not in printer.commands
    assert printer.commands.count("M27") == 0
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.job_name == "benchy.gcode"  # asked once with `M27 C`


def test_a_printer_slow_to_answer_is_asked_m115_once(
    reporting: MarlinPrinter, outbox: Outbox
) -> None:
    """Its greeting is no answer: asking again on it put two `M115` in the printer's buffer,
    and the second one's `ok` answered `M27 S1` in the driver's place (the test above failed
    so, once in five runs, on a loaded machine)."""
    printer = reporting
    printer.stall(0.6)  # the greeting waits in the line, the answer comes 0.6 s late
    with running(machine(printer, report_seconds=1), outbox) as loop:
        wait_until(lambda: "M27 C" in printer.commands)
        assert loop.health.machine_connected
    assert printer.commands[:4] == ["M115", "M27 S1", "M155 S1", "M27 C"]


def test_polls_wait_for_ok_while_the_printer_heats(plain: MarlinPrinter, outbox: Outbox) -> None:
    printer = plain
    with running(machine(printer), outbox, idle_grace_seconds=0) as loop:
        wait_until(lambda: loop.health.polls > 3)
        printer.start_print("benchy.gcode", heat_seconds=3.0)  # its own M109 first
        wait_until(lambda: printer.blocked)
        # Twenty polls a second during three seconds of heating: at most one command waits.
        wait_until(lambda: not printer.blocked, timeout=10)
        wait_until(lambda: of_kind(outbox, EventKind.SESSION_ENDED), timeout=15)
        assert loop.health.machine_connected
    assert printer.max_waiting <= 1
    assert printer.overflowed == 0
    assert {"M27", "M105"} <= set(printer.commands)
    assert not of_kind(outbox, EventKind.FAULT)  # `busy: processing` is no error
    (end,) = of_kind(outbox, EventKind.SESSION_ENDED)
    assert end.readings.outcome is Outcome.DONE


def test_a_command_without_ok_is_given_up_after_the_timeout(
    plain: MarlinPrinter, outbox: Outbox
) -> None:
    printer = plain
    with running(machine(printer, ok_timeout_seconds=0.3), outbox) as loop:
        wait_until(lambda: loop.health.polls > 3)
        printer.stall(1.0)  # the firmware neither reads nor answers for a second
        time.sleep(1.2)
        asked = len(printer.commands)
        wait_until(lambda: len(printer.commands) > asked + 5)  # polling goes on
        assert loop.health.machine_connected


def test_the_simulator_blocks_on_m109_as_marlin_does(tmp_path: Path) -> None:
    with MarlinPrinter(tmp_path / "ttyM", busy_seconds=0.3, blocking_seconds=1.0) as printer:
        printer.record = True
        with serial.serial_for_url(printer.port, 115200, timeout=0.1) as host:
            host.write(b"M109 S200\nM105\n")
            wait_until(lambda: b"ok T:" in printer.written, timeout=5)
    lines = printer.written.decode().splitlines()
    answers = [line for line in lines if line.startswith(("ok", "echo:busy"))]
    assert answers[:3] == ["echo:busy: processing"] * 3  # the M105 waits meanwhile
    assert answers[-2:] == ["ok", answers[-1]]
    assert answers[-1].startswith("ok T:")
    assert printer.max_waiting == 1
