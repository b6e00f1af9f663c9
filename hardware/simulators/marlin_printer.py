"""A simulated Marlin 3D printer printing from its SD card.

Answers `M20` (file list), `M23` (select), `M24` (start/resume), `M25` (pause), `M524` (abort),
`M27` (`SD printing byte a/b` / `Not SD printing`), `M27 C` (current file), `M105` (temperatures),
`M31` (print time), `M115`; line numbers and checksums are accepted. A print advances
`bytes_per_second` and ends with `Done printing file`. Faults: `thermal_runaway()`, `reset()`,
plus the line faults of every simulator.

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

    def start_print(self, name: str) -> None:
        self.select(name)
        self.printing = True
        self.started_at = time.monotonic()
        self.print_seconds = 0.0

    def receive(self, data: bytes) -> None:
        self._rx += data
        while b"\n" in self._rx:
            raw, _, rest = bytes(self._rx).partition(b"\n")
            self._rx[:] = rest
            self.command(raw.decode("ascii", "replace").strip())

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
        if code == "M105":
            self.send(f"ok T:{self.hotend:.2f} /0.00 B:{self.bed:.2f} /0.00 @:0 B@:0")
            return
        if code == "M115":
            self.send(
                "FIRMWARE_NAME:Marlin 2.1.2.1 (fabdesk simulator) PROTOCOL_VERSION:1.0 "
                "MACHINE_TYPE:3D Printer EXTRUDER_COUNT:1"
            )
            self.send("Cap:AUTOREPORT_SD_STATUS:1")
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
            elif self.printing:
                self.send(
                    f"SD printing byte {int(self.position)}/{self.files[self.selected or '']}"
                )
            else:
                self.send("Not SD printing")
        elif code == "M31":
            minutes, seconds = divmod(int(self.print_seconds), 60)
            hours, minutes = divmod(minutes, 60)
            self.send(f"echo:Print time: {hours}h {minutes}m {seconds}s")
        elif code == "M110" or code.startswith(("G", "M")):
            pass
        else:
            self.send(f'echo:Unknown command: "{text}"')
        self.send("ok")

    def tick(self, now: float) -> None:
        last, self._last_tick = self._last_tick, now
        if last is None or not self.printing or self.selected is None:
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
