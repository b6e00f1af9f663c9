"""A simulated Marlin 3D printer printing from its SD card.

Answers `M20` (file list), `M23` (select), `M24` (start/resume), `M25` (pause), `M524` (abort),
`M27` (`SD printing byte a/b` / `Not SD printing`), `M27 C` (current file), `M105` (temperatures),
`M31` (print time), `M115` (with `Cap:AUTOREPORT_SD_STATUS` / `Cap:AUTOREPORT_TEMP`, as
Marlin's defaults build it: temperatures yes, SD status no), and the auto-reports it announces
(`M27 S<n>`, `M155 S<n>`); line numbers and checksums are accepted. A print advances
`bytes_per_second` and ends with `Done printing file`.

Blocking commands (`M109`, `M190`, `G29` from the host, or `block()`, as a print's own heating
does) hold the command loop as Marlin does: `echo:busy: processing` every `busy_seconds`, the
auto-reports go on, and what the host sends meanwhile waits in the 128-byte receive buffer
(`max_waiting` is the most commands that ever waited there; bytes beyond the buffer are lost and
counted in `overflowed`). Faults: `thermal_runaway()`, `reset()`, plus the line faults of every
simulator.

Run it alone: `python -m hardware.simulators.marlin_printer --link /tmp/ttyMARLIN`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from hardware.simulators.base import Simulator


class MarlinPrinter(Simulator):
    def __init__(
        self,
        link: Path | None = None,
        *,
        files: dict[str, int] | None = None,
        bytes_per_second: float = 1000.0,
        autoreport_sd: bool = False,
        autoreport_temp: bool = True,
        busy_seconds: float = 2.0,
        blocking_seconds: float = 3.0,
        tcp: bool = False,
        seed: int = 0,
    ) -> None:
        self.files = dict(files or {"benchy.gcode": 20_000})
        self.bytes_per_second = bytes_per_second
        self.selected: str | None = None
        self.position = 0.0
        self.printing = False
        self.halted = False
        self.started_at: float | None = None
        self.print_seconds = 0.0
        self.hotend = 21.3
        self.bed = 21.3
        self.completed = 0
        self.autoreport = {"sd": autoreport_sd, "temp": autoreport_temp}
        self.busy_seconds = busy_seconds
        self.blocking_seconds = blocking_seconds
        self.blocked_until = 0.0
        self.max_waiting = 0
        self.overflowed = 0
        self.commands: list[str] = []
        """Every command received (tests: what the host sent, in order)."""
        self._block_answer = False
        self._waiting: list[str] = []
        self._every: dict[str, float] = {}
        """Auto-report ("sd", "temp") -> its interval in seconds."""
        self._due: dict[str, float] = {}
        self._rx = bytearray()
        self._last_tick: float | None = None
        super().__init__(link, tcp=tcp, seed=seed)
        self._greet()

    def _greet(self) -> None:
        self.send("start")
        self.send("echo:Marlin 2.1.2.1")
        self.send("echo: Last Updated: 2023-07-13 | Author: (fabdesk simulator)")
        self.send("echo:SD card ok")

    def on_plugged(self) -> None:
        self.reset()

    def reset(self) -> None:
        """The board restarts (power glitch, port opened with DTR): any print is lost."""
        self.printing = False
        self.halted = False
        self.selected = None
        self.position = 0.0
        self._rx.clear()
        self._waiting.clear()
        self._every.clear()
        self.blocked_until = 0.0
        self._greet()

    def thermal_runaway(self) -> None:
        self.printing = False
        self.halted = True
        self.send("Error:Thermal Runaway, system stopped! Heater_ID: 0")
        self.send("Error:Printer halted. kill() called!")

    def select(self, name: str) -> None:
        """What `M23 name` does (for tests that set up a print without a host)."""
        self.selected = name
        self.position = 0.0

    def start_print(self, name: str, *, heat_seconds: float = 0.0) -> None:
        """Start a print from the SD card (the LCD menu); `heat_seconds`: its own M109 first."""
        with self._lock:
            self.select(name)
            self.printing = True
            self.started_at = time.monotonic()
            self.print_seconds = 0.0
            if heat_seconds:
                self.block(heat_seconds)

    def block(self, seconds: float, *, answer: bool = False) -> None:
        """A blocking command runs (a print's own `M109`): the command loop waits `seconds`."""
        self.blocked_until = time.monotonic() + seconds
        self._block_answer = answer
        self._due["busy"] = time.monotonic() + self.busy_seconds

    @property
    def blocked(self) -> bool:
        return time.monotonic() < self.blocked_until

    def receive(self, data: bytes) -> None:
        if self.blocked:
            room = 128 - len(self._rx)
            self.overflowed += max(0, len(data) - room)
            data = data[: max(0, room)]
        self._rx += data
        while b"\n" in self._rx and not self.blocked:
            raw, _, rest = bytes(self._rx).partition(b"\n")
            self._rx[:] = rest
            self.command(raw.decode("ascii", "replace").strip())
        self.max_waiting = max(self.max_waiting, self._rx.count(b"\n"))

    def command(self, text: str) -> None:
        if self.halted:
            return
        if text.startswith("N"):
            text = text.split(" ", 1)[1] if " " in text else ""
        text = text.split("*")[0].split(";")[0].strip()
        if not text:
            return
        code, _, argument = text.partition(" ")
        code = code.upper()
        argument = argument.strip()
        self.commands.append(text)
        if code in ("M109", "M190", "G29"):
            self.block(self.blocking_seconds, answer=True)
            return
        interval = argument[1:] if argument[:1].upper() == "S" else ""
        kind = "temp" if code == "M155" else "sd"
        if code in ("M155", "M27") and interval.isdigit() and self.autoreport[kind]:
            self._every[kind] = float(interval)
            self._due[kind] = time.monotonic() + float(interval)
            self.send("ok")
            return
        if code == "M105":
            self.send(f"ok {self._temperatures()}")
            return
        if code == "M115":
            self.send(
                "FIRMWARE_NAME:Marlin 2.1.2.1 (fabdesk simulator) PROTOCOL_VERSION:1.0 "
                "MACHINE_TYPE:3D Printer EXTRUDER_COUNT:1"
            )
            self.send(f"Cap:AUTOREPORT_SD_STATUS:{int(self.autoreport['sd'])}")
            self.send(f"Cap:AUTOREPORT_TEMP:{int(self.autoreport['temp'])}")
            self.send("Cap:BUSY_PROTOCOL:1")
        elif code == "M20":
            self.send("Begin file list")
            for name, size in self.files.items():
                self.send(f"{name[:6].upper()}~1.GCO {size} {name}")
            self.send("End file list")
        elif code == "M21":
            self.send("echo:SD card ok")
        elif code == "M23":
            if argument in self.files:
                self.select(argument)
                self.send(f"File opened: {argument} Size: {self.files[argument]}")
                self.send("File selected")
            else:
                self.send(f"echo:open failed, File: {argument}.")
        elif code == "M24":
            if self.selected is not None:
                if not self.printing and self.position == 0:
                    self.started_at = time.monotonic()
                    self.print_seconds = 0.0
                self.printing = True
        elif code == "M25":
            self.printing = False
        elif code in ("M524", "M26") and (code == "M524" or argument == "S0"):
            if self.printing or self.position:
                self.printing = False
                self.position = 0.0
                self.send("echo:Print aborted")
        elif code == "M27":
            if argument.upper() == "C":
                if self.selected:
                    self.send(f"Current file: {self.selected[:6].upper()}~1.GCO {self.selected}")
                else:
                    self.send("Current file: (no file)")
            else:
                self._sd_status()
        elif code == "M31":
            minutes, seconds = divmod(int(self.print_seconds), 60)
            hours, minutes = divmod(minutes, 60)
            self.send(f"echo:Print time: {hours}h {minutes}m {seconds}s")
        elif code == "M110" or code.startswith(("G", "M")):
            pass
        else:
            self.send(f'echo:Unknown command: "{text}"')
        self.send("ok")

    def _temperatures(self) -> str:
        return f"T:{self.hotend:.2f} /0.00 B:{self.bed:.2f} /0.00 @:0 B@:0"

    def _sd_status(self) -> None:
        if self.printing:
            self.send(f"SD printing byte {int(self.position)}/{self.files[self.selected or '']}")
        else:
            self.send("Not SD printing")

    def _report(self, now: float) -> None:
        """Auto-reports and busy lines, which Marlin sends from its idle loop, blocked or not."""
        for kind, every in self._every.items():
            if every > 0 and now >= self._due.get(kind, now):
                self._due[kind] = now + every
                if kind == "temp":
                    self.send(" " + self._temperatures())
                else:
                    self._sd_status()
        if self.blocked_until and now >= self._due.get("busy", now):
            self._due["busy"] = now + self.busy_seconds
            self.send("echo:busy: processing")

    def tick(self, now: float) -> None:
        last, self._last_tick = self._last_tick, now
        if self.halted:
            return
        self._report(now)
        if self.blocked_until and now >= self.blocked_until:
            self.blocked_until = 0.0
            if self._block_answer:
                self.send("ok")
            self.receive(b"")  # what waited in the receive buffer runs now
        if last is None or not self.printing or self.selected is None or self.blocked_until:
            return
        self.print_seconds += now - last
        self.position += (now - last) * self.bytes_per_second
        if self.position >= self.files[self.selected]:
            self.position = float(self.files[self.selected])
            self.printing = False
            self.completed += 1
            self.send("Done printing file")
            self.position = 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description="A simulated Marlin printer on a pty.")
    parser.add_argument("--link", type=Path, required=True)
    parser.add_argument("--bytes-per-second", type=float, default=1000.0)
    args = parser.parse_args()
    printer = MarlinPrinter(args.link, bytes_per_second=args.bytes_per_second).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        printer.stop()


if __name__ == "__main__":
    main()
