"""GRBL 1.1 lines -> readings (pure): banner, `<…>` reports, ok, error:N, ALARM:N, [MSG:…]."""

from __future__ import annotations

import re
from dataclasses import dataclass

BANNER = re.compile(r"^Grbl (?P<version>\d+\.\d+\w*) \['\$' for help\]$")
STATUS_POLL = b"?"
SOFT_RESET = b"\x18"


@dataclass(frozen=True, slots=True)
class Banner:
    """The controller (re)started: power-up, port opened (Arduino reset), Ctrl-X."""

    version: str


@dataclass(frozen=True, slots=True)
class Status:
    """A real-time status report `<State|MPos:…|FS:feed,spindle|…>`."""

    state: str
    """Idle, Run, Hold, Jog, Alarm, Door, Check, Home, Sleep."""
    substate: int | None = None
    feed: float = 0.0
    spindle: float = 0.0
    """Laser power (S) in use now; in laser mode 0 during G0 rapids."""
    machine_position: tuple[float, ...] | None = None
    work_position: tuple[float, ...] | None = None
    accessories: str = ""
    pins: str = ""
    overrides: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Ok:
    pass


@dataclass(frozen=True, slots=True)
class Error:
    code: int


@dataclass(frozen=True, slots=True)
class Alarm:
    code: int


@dataclass(frozen=True, slots=True)
class Feedback:
    """`[MSG:…]`, `[GC:…]`, `[VER:…]`, `[OPT:…]` and the other bracketed lines."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Setting:
    number: int
    value: str


@dataclass(frozen=True, slots=True)
class Unknown:
    """A line that is not GRBL (noise on the line, a half line after a reset): skipped."""

    text: str


GrblLine = Banner | Status | Ok | Error | Alarm | Feedback | Setting | Unknown

_OK = Ok()


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(","))


def parse_status(body: str) -> Status | None:
    """The inside of `<…>`, or None when it is not a well-formed report."""
    fields = body.split("|")
    head = fields[0]
    state, _, sub = head.partition(":")
    if not state.isalpha():
        return None
    try:
        substate = int(sub) if sub else None
        feed = spindle = 0.0
        mpos = wpos = None
        overrides = None
        accessories = pins = ""
        for field in fields[1:]:
            name, _, value = field.partition(":")
            if name == "MPos":
                mpos = _floats(value)
            elif name == "WPos":
                wpos = _floats(value)
            elif name == "FS":
                feed_text, _, spindle_text = value.partition(",")
                feed, spindle = float(feed_text), float(spindle_text or 0)
            elif name == "F":
                feed = float(value)
            elif name == "Ov":
                overrides = tuple(int(part) for part in value.split(","))
            elif name == "A":
                accessories = value
            elif name == "Pn":
                pins = value
    except ValueError:
        return None
    return Status(
        state=state,
        substate=substate,
        feed=feed,
        spindle=spindle,
        machine_position=mpos,
        work_position=wpos,
        accessories=accessories,
        pins=pins,
        overrides=overrides,
    )


def parse_line(raw: str) -> GrblLine:
    """One line from the controller (without its line ending) -> one reading. Never raises."""
    line = raw.strip()
    if line == "ok":
        return _OK
    if line.startswith("<") and line.endswith(">"):
        return parse_status(line[1:-1]) or Unknown(line)
    if line.startswith("error:"):
        code = line[6:]
        return Error(int(code)) if code.isdigit() else Unknown(line)
    if line.startswith("ALARM:"):
        code = line[6:]
        return Alarm(int(code)) if code.isdigit() else Unknown(line)
    if line.startswith("[") and line.endswith("]") and ":" in line:
        kind, _, text = line[1:-1].partition(":")
        return Feedback(kind, text)
    if line.startswith("$") and "=" in line:
        number, _, value = line[1:].partition("=")
        if number.isdigit():
            return Setting(int(number), value)
    match = BANNER.match(line)
    if match:
        return Banner(match["version"])
    return Unknown(line)
