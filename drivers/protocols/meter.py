"""The usage-meter line protocol -> readings (pure); the protocol: docs/meter-protocol.md."""

from __future__ import annotations

from dataclasses import dataclass

QUERY = b"?\n"


@dataclass(frozen=True, slots=True)
class Hello:
    """`FABMETER 1 <name>`: the meter (re)started; protocol version and its own name."""

    version: int
    name: str


@dataclass(frozen=True, slots=True)
class On:
    pass


@dataclass(frozen=True, slots=True)
class Off:
    pass


@dataclass(frozen=True, slots=True)
class Power:
    """`W <watts>`: an optional power reading."""

    watts: float


@dataclass(frozen=True, slots=True)
class Fault:
    """`FAULT <text>`: the meter's own trouble (sensor out of range…)."""

    text: str


@dataclass(frozen=True, slots=True)
class Unknown:
    text: str


MeterLine = Hello | On | Off | Power | Fault | Unknown


def _checked(line: str) -> str | None:
    """Strip an optional `*XX` checksum (XOR of the bytes before `*`, two hex digits)."""
    body, star, check = line.rpartition("*")
    if not star:
        return line
    try:
        expected = int(check, 16)
    except ValueError:
        return None
    actual = 0
    for byte in body.encode("ascii", "replace"):
        actual ^= byte
    return body if actual == expected else None


def checksum(body: str) -> str:
    actual = 0
    for byte in body.encode("ascii"):
        actual ^= byte
    return f"{body}*{actual:02X}"


def parse_line(raw: str) -> MeterLine:
    """One line from the meter (without its line ending) -> one reading. Never raises."""
    line = _checked(raw.strip())
    if line is None:
        return Unknown(raw)
    word, _, rest = line.partition(" ")
    if word == "ON" and not rest:
        return On()
    if word == "OFF" and not rest:
        return Off()
    if word == "W":
        try:
            watts = float(rest)
        except ValueError:
            return Unknown(line)
        if watts >= 0 and watts < 1e7:
            return Power(watts)
        return Unknown(line)
    if word == "FABMETER":
        version, _, name = rest.partition(" ")
        if version.isdigit():
            return Hello(int(version), name.strip())
    if word == "FAULT":
        return Fault(rest.strip()[:200])
    return Unknown(line)
