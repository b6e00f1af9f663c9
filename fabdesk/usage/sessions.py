"""Usage sessions from their events: a pure summary, the same whatever order the events came in."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from fabdesk.wire import EventKind, Outcome


def clean_text(value: str | None) -> str | None:
    """Text as every database keeps it: PostgreSQL refuses NUL characters, which a serial line
    can put in a job name; they are dropped rather than refusing the batch."""
    return value.replace("\x00", "") if value is not None and "\x00" in value else value


@dataclass(frozen=True)
class SessionEvent:
    """The facts of one stored event that a usage session is built from."""

    uuid: UUID
    kind: EventKind
    device_time: datetime
    server_time: datetime
    active_seconds: float | None = None
    job_name: str | None = None
    material_mm: float | None = None
    material_g: float | None = None
    outcome: Outcome | None = None
    badge: str | None = None


@dataclass(frozen=True)
class SessionTotals:
    started_at: datetime | None
    ended_at: datetime | None
    device_started_at: datetime | None
    device_ended_at: datetime | None
    active_seconds: float
    job_name: str | None
    material_mm: float | None
    material_g: float | None
    outcome: Outcome | None
    last_event_at: datetime
    badge: str | None

    @property
    def finished(self) -> bool:
        return self.ended_at is not None and self.outcome is not None


@dataclass(frozen=True)
class SessionFacts:
    """All a session's totals depend on: its milestones (starts, ends, events naming the job) and
    aggregates over all its events. The database computes these in two queries."""

    milestones: tuple[SessionEvent, ...]
    first_device_time: datetime
    first_server_time: datetime
    last_server_time: datetime
    max_active_seconds: float | None
    max_material_mm: float | None
    max_material_g: float | None


def is_milestone(event: SessionEvent) -> bool:
    return event.kind in _MILESTONE_KINDS or event.job_name is not None


_MILESTONE_KINDS = frozenset({EventKind.SESSION_STARTED, EventKind.SESSION_ENDED})


def _max(values: Iterable[float | None]) -> float | None:
    return max((v for v in values if v is not None), default=None)


def facts_of(events: Sequence[SessionEvent]) -> SessionFacts:
    if not events:
        raise ValueError("a usage session needs at least one event")
    return SessionFacts(
        milestones=tuple(e for e in events if is_milestone(e)),
        first_device_time=min(e.device_time for e in events),
        first_server_time=min(e.server_time for e in events),
        last_server_time=max(e.server_time for e in events),
        max_active_seconds=_max(e.active_seconds for e in events),
        max_material_mm=_max(e.material_mm for e in events),
        max_material_g=_max(e.material_g for e in events),
    )


def _order(event: SessionEvent) -> tuple[datetime, str]:
    return (event.device_time, str(event.uuid))


def summarise(events: Sequence[SessionEvent]) -> SessionTotals:
    """The session the events describe (see `summarise_facts`)."""
    return summarise_facts(facts_of(events))


def summarise_facts(facts: SessionFacts) -> SessionTotals:
    """The session the facts describe. Commutative: any order (or repeat) of the same events
    gives the same totals.

    - started: the earliest `session_started`; without one (an end without its start), the
      earliest event time, moved back to `end - active_seconds` when that is earlier, since
      active time cannot exceed elapsed time.
    - ended: the earliest `session_ended`, with its outcome (`done` when it gives none).
    - active seconds and material: the largest reading (they are cumulative since the start).
    - job name: the latest one reported.
    - badge: the one on the earliest `session_started` that carries one.
    """
    ordered = sorted(facts.milestones, key=_order)
    start = next((e for e in ordered if e.kind is EventKind.SESSION_STARTED), None)
    end = next((e for e in ordered if e.kind is EventKind.SESSION_ENDED), None)
    active = facts.max_active_seconds or 0.0
    job_name = next((e.job_name for e in reversed(ordered) if e.job_name is not None), None)
    badge = next(
        (e.badge for e in ordered if e.kind is EventKind.SESSION_STARTED and e.badge), None
    )

    if start is not None:
        started_at, device_started_at = start.server_time, start.device_time
    else:
        started_at, device_started_at = facts.first_server_time, facts.first_device_time
        if end is not None and active > 0:
            back = timedelta(seconds=active)
            started_at = min(started_at, end.server_time - back)
            device_started_at = min(device_started_at, end.device_time - back)

    ended_at = device_ended_at = None
    outcome = None
    if end is not None:
        # Two batches may carry different clock offsets: an end is never before its start.
        ended_at = max(end.server_time, started_at)
        device_ended_at = max(end.device_time, device_started_at)
        outcome = end.outcome or Outcome.DONE
    return SessionTotals(
        started_at=started_at,
        ended_at=ended_at,
        device_started_at=device_started_at,
        device_ended_at=device_ended_at,
        active_seconds=active,
        job_name=job_name,
        material_mm=facts.max_material_mm,
        material_g=facts.max_material_g,
        outcome=outcome,
        last_event_at=max(facts.last_server_time, ended_at or started_at),
        badge=badge,
    )
