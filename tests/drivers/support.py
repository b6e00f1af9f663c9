"""Helpers of the driver tests: run a real machine loop in a thread, read what it stored."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from drivers.coordinator import MachineLoop
from drivers.machines import Machine
from drivers.outbox import Outbox
from drivers.sessions import SessionTracker
from drivers.wire import Event, EventKind


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def running(
    machine: Machine,
    outbox: Outbox,
    *,
    poll_seconds: float = 0.05,
    idle_grace_seconds: float = 0.3,
    tracker: SessionTracker | None = None,
) -> Iterator[MachineLoop]:
    tracker = tracker or SessionTracker(
        uuid.uuid4, idle_grace_seconds=idle_grace_seconds, max_gap_seconds=1.0
    )
    loop = MachineLoop(
        machine,
        tracker,
        outbox,
        clock=utc_now,
        new_id=uuid.uuid4,
        poll_seconds=poll_seconds,
        reconnect_max_seconds=0.3,
        heartbeat_seconds=3600,
    )
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        stop.set()
        thread.join(timeout=5)


def of_kind(outbox: Outbox, kind: EventKind) -> list[Event]:
    return [e for e in outbox.events() if e.kind is kind]
