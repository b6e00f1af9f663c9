"""The simulators answer as the real firmware does (the shared GRBL and Marlin notes), on ptys."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from hardware.simulators.grbl_laser import BANNER, GrblLaser
from hardware.simulators.marlin_printer import MarlinPrinter
from hardware.simulators.usage_meter import UsageMeter


class Host:
    """The other end of the line, as a driver or a sender would hold it."""

    def __init__(self, url: str) -> None:
        self.port = serial.serial_for_url(url, baudrate=115200, timeout=0.05)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.port.write(data)

    def until(self, marker: str, timeout: float = 5.0) -> list[str]:
        """Lines up to and including the first that contains `marker`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.buffer += self.port.read(4096)
            lines = self.buffer.decode("ascii", "replace").split("\r\n")
            for index, line in enumerate(lines[:-1]):
                if marker in line:
                    self.buffer = "\r\n".join(lines[index + 1 :]).encode()
                    return lines[: index + 1]
        raise AssertionError(f"no {marker!r} in {self.buffer!r}")

    def ask(self, data: bytes, marker: str = "ok") -> list[str]:
        self.send(data)
        return self.until(marker)


@pytest.fixture
def grbl(tmp_path: Path) -> Iterator[tuple[GrblLaser, Host]]:
    with GrblLaser(tmp_path / "ttyGRBL") as laser:
        host = Host(laser.port)
        yield laser, host
        host.port.close()


def test_grbl_answers_like_grbl_1_1h(grbl: tuple[GrblLaser, Host]) -> None:
    _, host = grbl
    (report,) = host.ask(b"?", ">")
    assert report.startswith("<Idle|MPos:0.000,0.000,0.000|FS:0,0")
    assert host.ask(b"$I\n") == ["[VER:1.1h.20190830:]", "[OPT:V,15,128]", "ok"]
    assert host.ask(b"$G\n")[0] == "[GC:G0 G54 G17 G21 G90 G94 M5 M9 T0 F0 S0]"
    settings = host.ask(b"$$\n")
    assert "$0=10" in settings
    assert "$32=1" in settings
    assert host.ask(b"G99\n", "error") == ["error:20"]
    assert host.ask(b"$H\n", "error") == ["error:5"]
    assert host.ask(b"$32\n", "error") == ["error:3"]
    assert host.ask(b"$C\n") == ["[MSG:Enabled]", "ok"]
    assert host.ask(b"?", ">")[0].startswith("<Check|")
    host.ask(b"$C\n")


def test_grbl_laser_mode_power_follows_the_motion(grbl: tuple[GrblLaser, Host]) -> None:
    _, host = grbl
    host.ask(b"M4 S800\nG1 X20 F1200\n")
    host.until("ok")
    (cutting,) = host.ask(b"?", ">")
    assert cutting.startswith("<Run|")
    assert "|FS:1200,800|" in cutting
    assert cutting.endswith("|A:C>")
    host.send(b"\x91\x9b")
    (overridden,) = host.ask(b"?", ">")
    assert "Ov:110,100,90" in overridden
    host.send(b"\x18")
    assert host.until("unlock") == ["ALARM:3", BANNER, "[MSG:'$H'|'$X' to unlock]"]
    assert host.ask(b"G1 X1\n", "error") == ["error:9"]
    assert host.ask(b"$X\n") == ["[MSG:Caution: Unlocked]", "ok"]
    host.ask(b"M3 S500\nG0 X100\n")
    host.until("ok")
    (rapid,) = host.ask(b"?", ">")
    assert "|FS:6000,0" in rapid  # no laser during G0 in laser mode


def test_grbl_character_counting_stream(grbl: tuple[GrblLaser, Host]) -> None:
    laser, host = grbl
    host.ask(b"M4 S100 F60000\n")
    program = b"".join(f"G1 X{i} Y{i}\n".encode() for i in range(1, 9))
    assert len(program) <= 128
    host.send(program)
    assert host.until("ok", 5) == ["ok"]
    for _ in range(7):
        host.until("ok")
    deadline = time.monotonic() + 5
    while laser.state != "Idle" and time.monotonic() < deadline:
        time.sleep(0.01)
    (report,) = host.ask(b"?", ">")
    assert report.startswith("<Idle|MPos:8.000,8.000,0.000")


def test_grbl_hold_resume_and_pulled_line(grbl: tuple[GrblLaser, Host]) -> None:
    laser, host = grbl
    host.ask(b"M4 S100\nG1 X50 F600\n")
    host.until("ok")
    host.send(b"!")
    assert host.ask(b"?", ">")[0].startswith("<Hold:0|")
    host.send(b"~")
    assert host.ask(b"?", ">")[0].startswith("<Run|")
    laser.drop_line()
    with pytest.raises(serial.SerialException):
        host.port.read(10)
    laser.replug(reset=True)
    again = Host(laser.port)
    try:
        assert again.ask(b"?", ">")[0].startswith("<Idle|MPos:0.000,0.000,0.000|")
    finally:
        again.port.close()


def test_grbl_over_socket_url(tmp_path: Path) -> None:
    with GrblLaser(tcp=True) as laser:
        assert laser.port.startswith("socket://127.0.0.1:")
        host = Host(laser.port)
        try:
            banner, report = host.ask(b"?", ">")
            assert (banner, report[:35]) == (BANNER, "<Idle|MPos:0.000,0.000,0.000|FS:0,0")
        finally:
            host.port.close()


def test_marlin_prints_from_sd(tmp_path: Path) -> None:
    with MarlinPrinter(tmp_path / "ttyM", files={"fabdesk_test.gcode": 300}) as printer:
        host = Host(printer.port)
        try:
            assert host.ask(b"M105\n")[0].startswith("ok T:21.30 /0.00 B:21.30")
            listing = host.ask(b"M20\n", "End file list")
            assert "FABDES~1.GCO 300 fabdesk_test.gcode" in listing
            host.until("ok")
            assert host.ask(b"N1 M23 fabdesk_test.gcode*99\n") == [
                "File opened: fabdesk_test.gcode Size: 300",
                "File selected",
                "ok",
            ]
            host.ask(b"M24\n")
            assert host.ask(b"M27\n")[0].startswith("SD printing byte ")
            assert host.until("Done printing file", 5)[-1] == "Done printing file"
            assert host.ask(b"M27\n") == ["Not SD printing", "ok"]
            assert host.ask(b"M31\n")[0].startswith("echo:Print time: 0h 0m 0s")
        finally:
            host.port.close()


def test_the_meter_says_on_and_off(tmp_path: Path) -> None:
    with UsageMeter(tmp_path / "ttyMETER", checksums=True) as meter:
        host = Host(meter.port)
        try:
            assert host.ask(b"?\n", "OFF") == ["OFF*4F"]
            meter.switch_on(250)
            assert host.until("ON") == ["ON*01"]
            assert host.until("W ")[-1].startswith("W 250.0*")
        finally:
            host.port.close()
