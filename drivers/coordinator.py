"""The coordinator: polls one machine, feeds the tracker, writes the outbox, runs the uplink.

Two threads: the machine loop (poll -> observations -> events -> outbox, heartbeats) and the
uplink loop (outbox -> server). They share only the outbox (SQLite) and a wake-up event. Failures
of the machine or the server are logged once when they start and once when they end; the loops
never stop on them. The clock and the id factory are parameters.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from drivers.errors import MachineUnavailable
from drivers.gate import Gate
from drivers.machines import Machine
from drivers.outbox import CLOCK_FLOOR, JUMP_TOLERANCE_SECONDS, Clocks, Outbox
from drivers.sessions import OpenSession, SessionTracker
from drivers.uplink import Outcome as SendOutcome
from drivers.uplink import Uplink
from drivers.wire import Event, EventKind, MachineState, Readings

log = logging.getLogger(__name__)

SESSION_KEY = "session"


@dataclass
class Health:
    """What `fabdesk driver check` and the heartbeats tell: typed, for people and for the server."""

    machine_connected: bool = False
    last_success: datetime | None = None
    last_failure: str | None = None
    polls: int = 0
    events: int = 0
    extra: dict[str, str] = field(default_factory=dict)


CLOCK_KEY = "session_clock"
"""Beside the open session: the wall clock's lead over the monotonic clock its times were on,
and the boot (a restart in the same boot can tell how far the clock jumped meanwhile)."""


def restore_tracker(
    outbox: Outbox, make: Callable[[OpenSession | None], SessionTracker]
) -> SessionTracker:
    """A tracker that picks up the session left open by the previous run, if any, its times
    moved to the wall clock as it reads now (see `restored_shift`)."""
    saved = outbox.get_state(SESSION_KEY)
    session = OpenSession.from_json(saved) if saved else None
    tracker = make(session)
    if session is not None:
        log.warning("session_left_open session_id=%s since=%s", session.id, session.started_at)
        clock = outbox.get_state(CLOCK_KEY)
        shift = restored_shift(session, clock, outbox.clocks)
        if shift < 0 and not same_boot(clock, outbox.clocks) and session.started_at >= CLOCK_FLOOR:
            session.known_start = session.started_at  # on a set clock, now on one behind it
        if shift:
            log.info("session_clock_moved session_id=%s seconds=%.0f", session.id, shift)
            tracker.clock_jumped(shift)
    return tracker


def restored_shift(session: OpenSession, saved: dict[str, Any] | None, clocks: Clocks) -> float:
    """How far a restored session's times move to be on the wall clock as it reads now.

    In the same boot, by exactly what the wall clock jumped while the driver was down (the
    monotonic clock runs on). After a reboot the two clocks cannot be compared: when the wall
    clock now reads before the session's last time (a Pi back at 1970, or set back), or the
    session's times are from a clock not set yet and today's is, the session moves so that it
    was last seen now. The time the power was off counts as nothing, as any time without contact;
    the session stays one, and NTP's jump later moves it on with the live clock (and gives back
    its start, when that was on a clock already set: `OpenSession.known_start`). Otherwise the
    times stay: both clocks are right and the gap is the outage."""
    if saved and same_boot(saved, clocks):
        jump = clocks.skew() - float(saved["skew"])
        return jump if abs(jump) >= JUMP_TOLERANCE_SECONDS else 0.0
    now = clocks.wall()
    if now < session.last_time or session.last_time < CLOCK_FLOOR <= now:
        return (now - session.last_time).total_seconds()
    return 0.0


def same_boot(saved: dict[str, Any] | None, clocks: Clocks) -> bool:
    """Whether the saved session's clock reference is of this boot (its skew then compares)."""
    return bool(saved and saved.get("skew") is not None and saved.get("boot") == clocks.boot != "")


class MachineLoop:
    """Poll, observe, store; reconnect with backoff when the machine goes away."""

    def __init__(
        self,
        machine: Machine,
        tracker: SessionTracker,
        outbox: Outbox,
        *,
        clock: Callable[[], datetime],
        new_id: Callable[[], UUID],
        poll_seconds: float,
        heartbeat_seconds: float = 60.0,
        reconnect_max_seconds: float = 30.0,
        wake_uplink: threading.Event | None = None,
        uniform: Callable[[float, float], float] = random.uniform,
        gate: Gate | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.machine = machine
        self.tracker = tracker
        self.outbox = outbox
        self.clock = clock
        self.new_id = new_id
        self.poll_seconds = poll_seconds
        self.heartbeat = timedelta(seconds=heartbeat_seconds)
        self.reconnect_max = reconnect_max_seconds
        self.wake_uplink = wake_uplink
        self.uniform = uniform
        self.gate = gate
        self.monotonic = monotonic
        self.health = Health()
        self._next_heartbeat: datetime | None = None
        self._skew = clock().timestamp() - monotonic()
        """The wall clock's lead over the monotonic one that the tracker's times are on (from
        the start: a jump before the first poll moves a restored session too)."""

    def _badged(self, event: Event) -> Event:
        """A session that starts just after an allowed badge (or while its maker holds the
        interlock) carries that badge: the session is theirs (docs/badges.md)."""
        if self.gate is None or event.kind is not EventKind.SESSION_STARTED:
            return event
        held = self.gate.session_badge(event.device_time)
        if held is None:
            return event
        badge, offline_decision = held
        log.info(
            "session_badged session_id=%s offline=%s", event.session_id, bool(offline_decision)
        )
        return event.model_copy(update={"badge": badge, "offline_decision": offline_decision})

    def store(self, events: list[Event]) -> None:
        if events:
            events = [self._badged(event) for event in events]
            clock = {"skew": self._skew, "boot": self.outbox.clocks.boot}
            session = self.tracker.snapshot()
            self.outbox.append(
                events, state={SESSION_KEY: session, CLOCK_KEY: clock if session else None}
            )
            self.health.events += len(events)
            if self.wake_uplink is not None:
                self.wake_uplink.set()

    def _beat(self, now: datetime) -> None:
        if self._next_heartbeat is not None and now < self._next_heartbeat:
            return
        self._next_heartbeat = now + self.heartbeat
        state = self.tracker.state if self.health.machine_connected else MachineState.OFFLINE
        event = Event(
            id=self.new_id(),
            kind=EventKind.HEARTBEAT,
            device_time=now,
            readings=Readings(
                state=state,
                detail=(self.health.last_failure or None) and self.health.last_failure[:500],
            ),
            outbox_backlog=self.outbox.backlog(),
        )
        self.outbox.append([event])
        if self.wake_uplink is not None:
            self.wake_uplink.set()

    def connect(self) -> None:
        self.machine.connect()
        if not self.health.machine_connected:
            if self.health.last_failure is not None:
                log.warning("machine_recovered")
            else:
                log.info("machine_connected")
        self.health.machine_connected = True
        self.health.last_failure = None

    def _follow_clock(self) -> bool:
        """Whether the wall clock jumped since it was last read here (beyond NTP's slewing): the
        tracker and the next heartbeat then move with it."""
        skew = self.clock().timestamp() - self.monotonic()
        previous, self._skew = self._skew, skew
        if abs(skew - previous) < JUMP_TOLERANCE_SECONDS:
            return False
        jump = skew - previous
        log.info("wall_clock_jumped seconds=%.0f", jump)
        self.tracker.clock_jumped(jump)
        if self._next_heartbeat is not None:
            self._next_heartbeat += timedelta(seconds=jump)
        return True

    def poll_once(self) -> None:
        now = self.clock()
        events: list[Event] = []
        observations = self.machine.poll()  # dated on the wall clock as it reads now
        if self._follow_clock():
            now = self.clock()
        for observation in observations:
            events += self.tracker.observe(observation)
        self.store(events)
        if self.gate is not None:
            self.gate.tick(now, busy=self.tracker.session is not None)
        self.health.polls += 1
        self.health.last_success = now
        self._beat(now)

    def _lost(self, error: MachineUnavailable) -> None:
        if self.health.machine_connected or self.health.last_failure is None:
            log.error("machine_lost reason=%s: measuring resumes when it answers", error)
        self.health.machine_connected = False
        self.health.last_failure = str(error)
        self.machine.close()
        self._follow_clock()
        self.store(self.tracker.lose_contact(self.clock()))

    def _recover(self, error: MachineUnavailable) -> None:
        try:
            self._lost(error)
            self._beat(self.clock())
        except Exception:  # the outbox itself failed (disk full?): keep trying, loudly
            log.exception("machine_loop_recovery_failed")

    def run(self, stop: threading.Event) -> None:
        attempt = 0
        while not stop.is_set():
            try:
                self.connect()
                attempt = 0
                while not stop.is_set():
                    self.poll_once()
                    stop.wait(self.poll_seconds)
            except MachineUnavailable as error:
                self._recover(error)
            except Exception:  # the supervision loop: a bug must not stop the measuring
                log.exception("machine_loop_crashed: reconnecting")
                self._recover(MachineUnavailable("driver error, see the log"))
            attempt += 1
            delay = self.uniform(0, min(self.reconnect_max, 0.5 * 2**attempt))
            stop.wait(max(0.2, delay))
        self.machine.close()


def run_uplink(uplink: Uplink, stop: threading.Event, wake: threading.Event) -> None:
    """Send until stopped; sleep when there is nothing to send or the server asks to wait."""
    while not stop.is_set():
        try:
            result = uplink.send_once()
        except Exception:  # the supervision loop: log with a traceback, keep going
            log.exception("uplink_crashed")
            stop.wait(5.0)
            continue
        if result.outcome is SendOutcome.SENT:
            continue
        wake.clear()
        timeout = 1.0 if result.outcome is SendOutcome.IDLE else result.delay
        # Woken early by new events only when idle; a retry waits its backoff out.
        if result.outcome is SendOutcome.IDLE:
            wake.wait(timeout)
        else:
            stop.wait(timeout)
