"""Marlin lines -> readings (pure): SD progress (M27), temperatures (M105), SD prints, errors."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SD_PROGRESS = re.compile(r"^SD printing byte (\d+)\s*/\s*(\d+)$")
_TEMPERATURE = re.compile(
    r"(?P<name>[TB]\d?):\s*(?P<actual>-?\d+(?:\.\d+)?)\s*/\s*(?P<target>-?\d+(?:\.\d+)?)"
)
_FILE_OPENED = re.compile(r"^File opened:\s*(?P<name>\S+)\s+Size:\s*(?P<size>\d+)$")
_CURRENT_FILE = re.compile(r"^Current file:\s*(?P<short>\S+)(?:\s+(?P<long>.+))?$")
_PRINT_TIME = re.compile(r"Print time:\s*(?P<text>.+)$")
_DURATION_PART = re.compile(r"(\d+)\s*([dhms])")


@dataclass(frozen=True, slots=True)
class Ok:
    pass


@dataclass(frozen=True, slots=True)
class SdProgress:
    done: int
    total: int

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class NotSdPrinting:
    pass


@dataclass(frozen=True, slots=True)
class DonePrinting:
    """`Done printing file`: the SD print finished."""


@dataclass(frozen=True, slots=True)
class FileOpened:
    name: str
    size: int


@dataclass(frozen=True, slots=True)
class CurrentFile:
    """`M27 C` -> `Current file: SHORT.GCO Long name.gcode` (or `(no file)`)."""

    name: str | None


@dataclass(frozen=True, slots=True)
class Temperatures:
    readings: dict[str, tuple[float, float]]
    """Heater name (T, T0, B) -> (actual, target) in °C."""


@dataclass(frozen=True, slots=True)
class PrintTime:
    """`echo:Print time: 1h 2m 3s` (M31, or after a print)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Failure:
    """`Error:…` that is not a resend request: a firmware fault (thermal runaway, kill…)."""

    text: str


@dataclass(frozen=True, slots=True)
class Busy:
    """`echo:busy: processing` (or `paused for user`): a blocking command is still running."""


@dataclass(frozen=True, slots=True)
class Capability:
    """`Cap:AUTOREPORT_TEMP:1`, one of the lines `M115` answers with."""

    name: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class Started:
    """The firmware (re)started: `start` after a reset."""


@dataclass(frozen=True, slots=True)
class Other:
    """Anything else (echo:, resend, file lists, firmware info, noise): no usage information."""

    text: str


MarlinLine = (
    Ok
    | SdProgress
    | NotSdPrinting
    | DonePrinting
    | FileOpened
    | CurrentFile
    | Temperatures
    | PrintTime
    | Failure
    | Busy
    | Capability
    | Started
    | Other
)

_OK = Ok()

# Error lines that only ask for a resend: the line protocol heals them, they are no fault.
_HARMLESS_ERRORS = (
    "checksum mismatch",
    "line number is not last line number",
    "expected line",
    "no checksum",
    "no line number",
)


def parse_duration(text: str) -> float | None:
    parts = _DURATION_PART.findall(text)
    if not parts:
        return None
    scale = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return float(sum(int(number) * scale[unit] for number, unit in parts))


def parse_temperatures(line: str) -> Temperatures | None:
    found = {
        m["name"]: (float(m["actual"]), float(m["target"])) for m in _TEMPERATURE.finditer(line)
    }
    return Temperatures(found) if found else None


def parse_line(raw: str) -> MarlinLine:
    """One line from the printer (without its line ending) -> one reading. Never raises."""
    line = raw.strip()
    if line == "ok":
        return _OK
    if line.startswith("ok ") or line.startswith("T:") or line.startswith(" T:"):
        return parse_temperatures(line) or (_OK if line.startswith("ok") else Other(line))
    if line == "Not SD printing":
        return NotSdPrinting()
    if line == "Done printing file":
        return DonePrinting()
    if line == "start":
        return Started()
    match = _SD_PROGRESS.match(line)
    if match:
        return SdProgress(int(match[1]), int(match[2]))
    match = _FILE_OPENED.match(line)
    if match:
        return FileOpened(match["name"], int(match["size"]))
    if line.startswith("Current file:"):
        if "(no file)" in line:
            return CurrentFile(None)
        match = _CURRENT_FILE.match(line)
        if match:
            return CurrentFile((match["long"] or match["short"]).strip())
    match = _PRINT_TIME.search(line)
    if match:
        seconds = parse_duration(match["text"])
        if seconds is not None:
            return PrintTime(seconds)
    if line.startswith("echo:busy") or line.startswith("busy:"):
        return Busy()
    if line.startswith("Cap:"):
        name, _, value = line[4:].partition(":")
        return Capability(name.strip(), value.strip() == "1")
    if line.lower().startswith("error:"):
        text = line[6:].strip()
        if any(harmless in text.lower() for harmless in _HARMLESS_ERRORS):
            return Other(line)
        return Failure(text)
    return Other(line)
