"""A simulated GRBL 1.1h laser cutter: banner, `$$`, `?` reports, ok/error:N, timed motion, alarms.

It answers as GRBL 1.1h does (see the shared GRBL notes): real-time bytes (`?`, `!`, `~`, Ctrl-X,
overrides) act at once; lines go through a 128-byte receive buffer into a 15-block planner, so a
sender streaming with character counting gets its `ok`s as blocks are planned while motion takes
simulated time (`speed` x faster than the wall clock). Laser mode (`$32=1`): the `FS` spindle value
is the S power during G1/G2/G3 moves and 0 during G0 rapids and when idle; the `A:` accessory
field says `S` (M3) or `C` (M4) while the beam is powered, then `F`/`M` for the coolant (air
assist).

Run it alone: `python -m hardware.simulators.grbl_laser --link /tmp/ttyGRBL`.
"""

from __future__ import annotations

import argparse
import math
import re
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from hardware.simulators.base import Simulator

BANNER = "Grbl 1.1h ['$' for help]"
RX_BUFFER = 128
PLANNER_BLOCKS = 15
_WORD = re.compile(r"([A-Z])([-+]?\d*\.?\d+)")

DEFAULT_SETTINGS: dict[int, str] = {
    0: "10",
    1: "25",
    2: "0",
    3: "0",
    4: "0",
    5: "0",
    6: "0",
    10: "1",
    11: "0.010",
    12: "0.002",
    13: "0",
    20: "0",
    21: "0",
    22: "0",
    23: "0",
    24: "25.000",
    25: "500.000",
    26: "250",
    27: "1.000",
    30: "1000",
    31: "0",
    32: "1",
    100: "80.000",
    101: "80.000",
    102: "80.000",
    110: "6000.000",
    111: "6000.000",
    112: "500.000",
    120: "500.000",
    121: "500.000",
    122: "10.000",
    130: "400.000",
    131: "300.000",
    132: "50.000",
}


@dataclass
class Block:
    target: tuple[float, float, float]
    feed: float
    """mm/min."""
    power: float
    """The laser power while this block runs (0 for rapids or M5)."""
    dwell: float = 0.0
    jog: bool = False


class GrblLaser(Simulator):
    def __init__(
        self, link: Path | None = None, *, speed: float = 1.0, tcp: bool = False, seed: int = 0
    ) -> None:
        self.speed = speed
        self.settings = dict(DEFAULT_SETTINGS)
        self.state = "Idle"
        self.substate: int | None = None
        self.position = [0.0, 0.0, 0.0]
        self.planner: deque[Block] = deque()
        self.rx = bytearray()
        self.feed = 0.0
        self.power = 0.0
        self.laser = "M5"
        self.flood = self.mist = False
        """Coolant outputs (M8 flood, M7 mist): air assist on a laser; `F`/`M` in the `A:` field."""
        self.motion = "G0"
        self.relative = False
        self.check_mode = False
        self.reports = 0
        self.feed_override = 100
        self.spindle_override = 100
        self.laser_on_seconds = 0.0
        """Simulated seconds with the laser firing: what the driver should measure."""
        self.jobs_run = 0
        self._last_tick: float | None = None
        self._block_progress = 0.0
        super().__init__(link, tcp=tcp, seed=seed)
        self.send(BANNER)

    def on_plugged(self) -> None:
        """A USB-powered board boots again: job and position are lost, no alarm ($22=0)."""
        self.state = "Idle"
        self.position = [0.0, 0.0, 0.0]
        self.reset(alarm=False)

    # -- real-time commands and lines ---------------------------------------------------------

    def receive(self, data: bytes) -> None:
        for byte in data:
            if byte == ord("?"):
                self.send(self.status_report())
            elif byte == 0x18:
                self.reset(alarm=self.state in ("Run", "Jog", "Hold"))
            elif byte == ord("!"):
                if self.state in ("Run", "Jog"):
                    self.state, self.substate = "Hold", 0
            elif byte == ord("~"):
                if self.state == "Hold" or (self.state == "Door" and self.substate == 0):
                    self.state, self.substate = ("Run" if self.planner else "Idle"), None
            elif byte == 0x91:
                self.feed_override = min(200, self.feed_override + 10)
            elif byte == 0x92:
                self.feed_override = max(10, self.feed_override - 10)
            elif byte == 0x9A:
                self.spindle_override = min(200, self.spindle_override + 10)
            elif byte == 0x9B:
                self.spindle_override = max(10, self.spindle_override - 10)
            elif byte == 0x85:
                if self.state == "Jog":
                    self.planner.clear()
                    self.state = "Idle"
            elif byte >= 0x80:
                continue
            elif len(self.rx) < RX_BUFFER:
                self.rx.append(byte)

    def stream(self, program: str) -> None:
        """A job arriving as if from a sender on the line (tests without a bridge)."""
        with self._lock:
            self.rx += program.encode("ascii")

    def realtime(self, data: bytes) -> None:
        """Real-time bytes as if from a sender (`!` hold, `~` resume, Ctrl-X reset)."""
        with self._lock:
            self.receive(data)

    def report(self) -> str:
        """The status report `?` would get now (tests)."""
        with self._lock:
            return self.status_report()

    def reset(self, *, alarm: bool) -> None:
        """Ctrl-X: motion stops at once; during motion the position is lost (ALARM:3)."""
        self.planner.clear()
        self.rx.clear()
        self.power, self.laser, self.feed = 0.0, "M5", 0.0
        self.flood = self.mist = False
        self.feed_override = self.spindle_override = 100
        if alarm:
            self.send("ALARM:3")
        self.send(BANNER)
        if alarm or self.state == "Alarm":
            self.state, self.substate = "Alarm", None
            self.send("[MSG:'$H'|'$X' to unlock]")
        else:
            self.state, self.substate = "Idle", None

    def alarm(self, code: int) -> None:
        """A fault on demand: hard limit (1), soft limit (2), probe (4/5), homing (6-9)."""
        self.planner.clear()
        self.power = 0.0
        self.state, self.substate = "Alarm", None
        self.send(f"ALARM:{code}")
        self.send("[MSG:Reset to continue]")

    def open_door(self) -> None:
        self.state, self.substate = "Door", 1

    def close_door(self) -> None:
        if self.state == "Door":
            self.substate = 0

    def status_report(self) -> str:
        self.reports += 1
        state = self.state if self.substate is None else f"{self.state}:{self.substate}"
        moving = self.state in ("Run", "Jog") and bool(self.planner)
        block = self.planner[0] if moving else None
        feed = block.feed * self.feed_override / 100 if block and not block.dwell else 0.0
        power = self._power_now(block)
        x, y, z = self.position
        parts = [state, f"MPos:{x:.3f},{y:.3f},{z:.3f}", f"FS:{feed:.0f},{power:.0f}"]
        if self.reports % 10 == 1:
            parts.append("WCO:0.000,0.000,0.000")
        elif self.reports % 10 == 2 or (self.feed_override, self.spindle_override) != (100, 100):
            parts.append(f"Ov:{self.feed_override},100,{self.spindle_override}")
        accessories = ""
        if power > 0 or (self.laser != "M5" and self.settings[32] != "1"):
            accessories = "C" if self.laser == "M4" else "S"
        accessories += "F" * self.flood + "M" * self.mist
        if accessories:
            parts.append("A:" + accessories)
        return "<" + "|".join(parts) + ">"

    def _power_now(self, block: Block | None) -> float:
        if block is None:
            return 0.0 if self.settings[32] == "1" else (self.power if self.laser != "M5" else 0.0)
        return block.power * self.spindle_override / 100

    # -- planner and motion -------------------------------------------------------------------

    def tick(self, now: float) -> None:
        last, self._last_tick = self._last_tick, now
        while len(self.planner) < PLANNER_BLOCKS and b"\n" in self.rx:
            raw, _, rest = bytes(self.rx).partition(b"\n")
            self.rx[:] = rest
            self.send(self.line(raw.decode("ascii", "replace").strip()))
        if last is None or self.state not in ("Run", "Jog"):
            return
        budget = (now - last) * self.speed
        while budget > 0 and self.planner:
            block = self.planner[0]
            if block.dwell:
                used = min(budget, block.dwell - self._block_progress)
                self._block_progress += used
                budget -= used
                if self._block_progress >= block.dwell - 1e-9:
                    self._finish_block()
                continue
            feed = block.feed * self.feed_override / 100
            distance = math.dist(self.position, block.target)
            if distance < 1e-9 or feed <= 0:
                self._finish_block()
                continue
            step = min(distance, feed / 60 * budget)
            seconds = step / (feed / 60)
            budget -= seconds
            if block.power > 0:
                self.laser_on_seconds += seconds
            ratio = step / distance
            self.position = [
                p + (t - p) * ratio for p, t in zip(self.position, block.target, strict=True)
            ]
            if step >= distance - 1e-9:
                self.position = list(block.target)
                self._finish_block()
        if not self.planner and self.state in ("Run", "Jog"):
            self.state = "Idle"
            self.jobs_run += 1

    def _finish_block(self) -> None:
        self.planner.popleft()
        self._block_progress = 0.0

    def line(self, text: str) -> str:
        """One received line -> its answer (`ok`/`error:N`); feedback lines go out before it."""
        text = re.sub(r"\(.*?\)|;.*$", "", text).strip().upper().replace(" ", "")
        if not text:
            return "ok"
        if text.startswith("$"):
            return self._system(text)
        if self.state == "Alarm":
            return "error:9"
        if self.state == "Jog":
            return "error:9"
        return self._gcode(text)

    def _system(self, text: str) -> str:
        if text == "$":
            self.send("[HLP:$$ $# $G $I $N $x=val $Nx=line $J=line $SLP $C $X $H ~ ! ? ctrl-x]")
        elif text == "$$":
            for number, value in sorted(self.settings.items()):
                self.send(f"${number}={value}")
        elif text == "$I":
            self.send("[VER:1.1h.20190830:]")
            self.send("[OPT:V,15,128]")
        elif text == "$G":
            self.send(
                f"[GC:{self.motion} G54 G17 G21 G90 G94 {self.laser} M9 T0 "
                f"F{self.feed:.0f} S{self.power:.0f}]"
            )
        elif text == "$#":
            self.send("[G54:0.000,0.000,0.000]")
        elif text == "$X":
            if self.state == "Alarm":
                self.state = "Idle"
                self.send("[MSG:Caution: Unlocked]")
        elif text == "$H":
            if self.settings[22] == "0":
                return "error:5"
        elif text == "$C":
            self.check_mode = not self.check_mode
            self.state = "Check" if self.check_mode else "Idle"
            self.send("[MSG:Enabled]" if self.check_mode else "[MSG:Disabled]")
        elif text.startswith("$J="):
            if self.state not in ("Idle", "Jog"):
                return "error:8"
            return self._gcode(text[3:], jog=True)
        elif "=" in text:
            key, _, value = text[1:].partition("=")
            if not key.isdigit() or int(key) not in self.settings:
                return "error:3"
            self.settings[int(key)] = value
        else:
            return "error:3"
        return "ok"

    def _gcode(self, text: str, *, jog: bool = False) -> str:
        words = _WORD.findall(text)
        if _WORD.sub("", text):
            return "error:1"
        target = list(self.position) if not self.planner else list(self.planner[-1].target)
        moved = False
        dwell = 0.0
        for letter, number in words:
            value = float(number)
            if letter == "G":
                code = int(value) if value.is_integer() else value
                if code in (0, 1, 2, 3):
                    self.motion = f"G{code}"
                elif code == 90:
                    self.relative = False
                elif code == 91:
                    self.relative = True
                elif code == 4:
                    self.motion = "G4"
                elif code not in (17, 20, 21, 53, 54, 94, 93):
                    return "error:20"
            elif letter == "M":
                code = int(value)
                if code in (3, 4, 5):
                    self.laser = f"M{code}"
                elif code in (2, 30):
                    self.laser, self.motion = "M5", "G0"
                    self.flood = self.mist = False
                elif code in (7, 8, 9):
                    self.mist = code == 7 or (self.mist and code == 8)
                    self.flood = code == 8 or (self.flood and code == 7)
                else:
                    return "error:20"
            elif letter == "F":
                self.feed = value
            elif letter == "S":
                self.power = value
            elif letter == "P":
                dwell = value
            elif letter in "XYZ":
                axis = "XYZ".index(letter)
                target[axis] = target[axis] + value if (self.relative or jog) else value
                moved = True
            elif letter not in "NT":
                return "error:20"
        if self.check_mode:
            return "ok"
        if self.motion == "G4" and dwell:
            self.planner.append(Block(tuple(target), 0.0, 0.0, dwell=dwell))  # type: ignore[arg-type]
        elif moved:
            rapid = self.motion == "G0" and not jog
            if not rapid and self.feed <= 0:
                return "error:22"
            feed = float(self.settings[110]) if rapid else self.feed
            firing = self.laser in ("M3", "M4") and not rapid and not jog
            power = self.power if firing else 0.0
            self.planner.append(Block(tuple(target), feed, power, jog=jog))  # type: ignore[arg-type]
        else:
            return "ok"
        if self.state in ("Idle", "Jog"):
            self.state = "Jog" if jog else "Run"
        return "ok"


def main() -> None:
    parser = argparse.ArgumentParser(description="A simulated GRBL 1.1h laser on a pty.")
    parser.add_argument("--link", type=Path, required=True, help="symlink to create to the pty")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second")
    args = parser.parse_args()
    laser = GrblLaser(args.link, speed=args.speed).start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        laser.stop()


if __name__ == "__main__":
    main()
