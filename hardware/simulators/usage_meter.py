"""A simulated usage meter speaking docs/meter-protocol.md (the reference sketch's behaviour).

`switch_on(watts)` / `switch_off()` stand for the machine starting and stopping; the meter sends
`ON`/`OFF` at once, answers `?` with its state, and sends `W <watts>` every `power_seconds`
while on.

Run it alone: `python -m hardware.simulators.usage_meter --link /tmp/ttyMETER`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from drivers.protocols.meter import checksum
from hardware.simulators.base import Simulator


class UsageMeter(Simulator):
    def __init__(
        self,
        link: Path | None = None,
        *,
        name: str = "sim-meter",
        power_seconds: float = 1.0,
        checksums: bool = False,
        tcp: bool = False,
        seed: int = 0,
    ) -> None:
        self.name = name
        self.on = False
        self.watts = 0.0
        self.power_seconds = power_seconds
        self.checksums = checksums
        self._rx = bytearray()
        self._next_power = 0.0
        super().__init__(link, tcp=tcp, seed=seed)
        self.say(f"FABMETER 1 {name}")

    def say(self, line: str) -> None:
        self.send(checksum(line) if self.checksums else line)

    def on_plugged(self) -> None:
        self.say(f"FABMETER 1 {self.name}")

    def switch_on(self, watts: float = 0.0) -> None:
        with self._lock:
            self.on, self.watts = True, watts
            self.say("ON")

    def switch_off(self) -> None:
        with self._lock:
            self.on, self.watts = False, 0.0
            self.say("OFF")

    def receive(self, data: bytes) -> None:
        self._rx += data
        while b"\n" in self._rx:
            raw, _, rest = bytes(self._rx).partition(b"\n")
            self._rx[:] = rest
            if raw.strip() == b"?":
                self.say("ON" if self.on else "OFF")

    def tick(self, now: float) -> None:
        if self.on and self.watts and now >= self._next_power:
            self._next_power = now + self.power_seconds
            self.say(f"W {self.watts:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description="A simulated usage meter on a pty.")
    parser.add_argument("--link", type=Path, required=True)
    args = parser.parse_args()
    meter = UsageMeter(args.link).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        meter.stop()


if __name__ == "__main__":
    main()
