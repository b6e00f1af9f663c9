"""The wire's plain parts (stdlib only): its version and limits, the enums, the badge digest.

Shared by the server's pydantic models (`fabdesk.wire`) and the driver's lighter msgspec codec
(`drivers.wire`), so both speak the same words. See docs/wire.md.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

WIRE_VERSION = 1
MAX_EVENTS_PER_BATCH = 500
MAX_BODY_BYTES = 1_000_000
MAX_READING = 10_000_000


class EventKind(StrEnum):
    SESSION_STARTED = "session_started"
    SESSION_PROGRESS = "session_progress"
    SESSION_ENDED = "session_ended"
    HEARTBEAT = "heartbeat"
    FAULT = "fault"


class Outcome(StrEnum):
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    """The driver lost track (restart, power cut) and closed the session at its last known time."""


class MachineState(StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    ALARM = "alarm"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


ALLOW = "allow"
"""`BadgeAnswer.result` and `Event.offline_decision` when the badge may use the machine."""


def badge_digest(salt: str, badge: str) -> str:
    """How an allow-list names a badge: hex SHA-256 of `salt:badge` (the badge stripped and
    upper-cased, as readers type it), so a copied SD card does not give the badges away."""
    return hashlib.sha256(f"{salt}:{badge.strip().upper()}".encode()).hexdigest()
