"""The durable outbox: every event is written here (SQLite, WAL, synchronous FULL) first.

Events leave the outbox only when the server acknowledged their UUID. The open session's state is
stored in the same transaction as the events it produced, so a power cut leaves both consistent.
The size bound never drops usage: past `max_events`, unsent heartbeats and faults go first (only the
newest heartbeat is ever kept anyway), and usage events stay, with a loud warning.

Each event is stored with the wall clock's lead over the monotonic clock when it was written
(`skew`) and the boot it was written in: if the wall clock jumps before the event is sent (a
Raspberry Pi boots in 1970, then NTP sets it), the uplink re-dates it (see `redate`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from drivers.wire import Event, EventKind

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_DISPOSABLE = (EventKind.HEARTBEAT.value, EventKind.FAULT.value)


_ADDED_COLUMNS = (("skew", "REAL"), ("boot", "TEXT"))
"""Columns added after the first release (an outbox on a Pi is upgraded in place)."""

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def boot_id() -> str:
    """This boot's id (Linux): the monotonic clock only compares within one boot."""
    try:
        return BOOT_ID.read_text().strip()
    except OSError:
        return ""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Writable(Protocol):
    """An event that encodes itself as the wire's JSON (the driver's structs; in tests, the
    server's pydantic models too)."""

    @property
    def id(self) -> UUID: ...
    @property
    def kind(self) -> EventKind: ...
    def model_dump_json(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Pending:
    seq: int
    id: UUID
    body: str
    """The event's JSON, exactly as it will be sent."""
    skew: float | None = None
    """Wall clock minus monotonic clock (seconds) when the event was written."""
    boot: str | None = None


@dataclass(frozen=True, slots=True)
class Clocks:
    """The driver's two clocks: the wall clock (may jump) and the monotonic one (never does)."""

    wall: Callable[[], datetime] = utc_now
    monotonic: Callable[[], float] = time.monotonic
    boot: str = ""

    def skew(self) -> float:
        return self.wall().timestamp() - self.monotonic()


JUMP_TOLERANCE_SECONDS = 2.0

CLOCK_FLOOR = datetime(2024, 1, 1, tzinfo=UTC)
"""No fabdesk driver ran before: a wall clock earlier than this was not set yet (a Raspberry Pi
without a clock battery boots in 1970 and waits for NTP)."""


def redate(pending: Pending, clocks: Clocks) -> str:
    """The event's body, its device_time moved by the wall clock's jump since it was written
    (same boot only; a jump under JUMP_TOLERANCE_SECONDS is NTP's usual slewing, left alone)."""
    if pending.skew is None or not pending.boot or pending.boot != clocks.boot:
        return pending.body
    jump = clocks.skew() - pending.skew
    if abs(jump) < JUMP_TOLERANCE_SECONDS:
        return pending.body
    event = json.loads(pending.body)
    recorded = datetime.fromisoformat(event["device_time"])
    event["device_time"] = (recorded + timedelta(seconds=jump)).isoformat()
    log.info("event_redated event=%s jump_seconds=%.0f", pending.id, jump)
    return json.dumps(event, separators=(",", ":"))


def dated_right_before_reboot(pending: Pending, clocks: Clocks) -> bool:
    """An event of an earlier boot dated on a clock that was set, while the clock now is not (a
    Pi back at 1970, before NTP): its time is right as it is, and must not go with a `sent_at`
    from the clock now, by which the server would move it (docs/attribution.md)."""
    if not pending.boot or pending.boot == clocks.boot or clocks.wall() >= CLOCK_FLOOR:
        return False
    return datetime.fromisoformat(json.loads(pending.body)["device_time"]) >= CLOCK_FLOOR


class Outbox:
    """One SQLite file; safe to share between the machine thread and the uplink thread."""

    def __init__(
        self, path: Path, *, max_events: int = 100_000, clocks: Clocks | None = None
    ) -> None:
        self.path = path
        self.clocks = clocks or Clocks(boot=boot_id())
        self.max_events = max_events
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute("PRAGMA cache_size=-512")  # 512 KiB: the outbox is small, the Pi too
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
        for name, kind in _ADDED_COLUMNS:
            if name not in columns:
                self._db.execute(f"ALTER TABLE events ADD COLUMN {name} {kind}")
        self._over_bound = False

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(
        self,
        events: Sequence[Writable],
        *,
        state: dict[str, Any | None] | None = None,
    ) -> None:
        """Store events (and state values) in one durable transaction."""
        if not events and not state:
            return
        skew, boot = self.clocks.skew(), self.clocks.boot
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for event in events:
                    if event.kind is EventKind.HEARTBEAT:
                        db.execute(
                            "DELETE FROM events WHERE kind = ?", (EventKind.HEARTBEAT.value,)
                        )
                    db.execute(
                        "INSERT OR IGNORE INTO events (id, kind, body, skew, boot) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (str(event.id), event.kind.value, event.model_dump_json(), skew, boot),
                    )
                for key, value in (state or {}).items():
                    if value is None:
                        db.execute("DELETE FROM state WHERE key = ?", (key,))
                    else:
                        db.execute(
                            "INSERT INTO state (key, value) VALUES (?, ?) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                            (key, json.dumps(value)),
                        )
                self._enforce_bound()
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _enforce_bound(self) -> None:
        (count,) = self._db.execute("SELECT count(*) FROM events").fetchone()
        if count <= self.max_events:
            if self._over_bound:
                log.warning("outbox_back_under_bound backlog=%d", count)
                self._over_bound = False
            return
        excess = count - self.max_events
        placeholders = ",".join("?" * len(_DISPOSABLE))
        self._db.execute(
            "DELETE FROM events WHERE seq IN (SELECT seq FROM events "
            f"WHERE kind IN ({placeholders}) ORDER BY seq LIMIT ?)",
            (*_DISPOSABLE, excess),
        )
        if not self._over_bound:
            log.error(
                "outbox_over_bound backlog=%d max_events=%d: usage events are kept, "
                "heartbeats and faults dropped; the server has not acknowledged for a long time",
                count,
                self.max_events,
            )
            self._over_bound = True

    def pending(self, limit: int, max_bytes: int | None = None) -> list[Pending]:
        """The oldest unsent events, in order, at most `limit` and about `max_bytes` of JSON."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, id, body, skew, boot FROM events ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        batch: list[Pending] = []
        size = 0
        for seq, id_, body, skew, boot in rows:
            size += len(body) + 1
            if max_bytes is not None and batch and size > max_bytes:
                break
            batch.append(Pending(seq, UUID(id_), body, skew, boot))
        return batch

    def acknowledge(self, ids: Iterable[UUID]) -> int:
        """Delete what the server acknowledged (accepted or duplicate)."""
        keys = [(str(id_),) for id_ in ids]
        if not keys:
            return 0
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            before = db.total_changes
            db.executemany("DELETE FROM events WHERE id = ?", keys)
            db.execute("COMMIT")
            return db.total_changes - before

    def set_aside(self, pending: Pending, reason: str) -> None:
        """Move one event the server refuses as malformed to `refused`: kept, never resent."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT OR REPLACE INTO refused (id, body, reason) VALUES (?, ?, ?)",
                (str(pending.id), pending.body, reason[:1000]),
            )
            db.execute("DELETE FROM events WHERE id = ?", (str(pending.id),))
            db.execute("COMMIT")

    def backlog(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT count(*) FROM events").fetchone()
        return int(count)

    def refused_count(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT count(*) FROM refused").fetchone()
        return int(count)

    def get_state(self, key: str) -> Any | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def events(self) -> list[Event]:
        """Every unsent event, oldest first (for `check`, tests and the curious)."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM events ORDER BY seq").fetchall()
        return [Event.model_validate_json(body) for (body,) in rows]
