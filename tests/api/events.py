"""Builders of wire events and batches for the tests and benchmarks (plain values, no server)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from fabdesk.wire import Event, EventBatch, EventKind, Outcome, Readings

CLOCK_TOLERANCE = timedelta(minutes=5)
"""The default `api.clock_tolerance_seconds`, for tests that call ingest directly."""


def event(
    kind: EventKind,
    at: datetime,
    session_id: uuid.UUID | None = None,
    *,
    backlog: int | None = None,
    **readings: Any,
) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=kind,
        session_id=session_id,
        device_time=at,
        readings=Readings(**readings),
        outbox_backlog=backlog,
    )


def job(
    start: datetime,
    *,
    minutes: int = 10,
    progress_every: int = 2,
    job_name: str = "box.svg",
    outcome: Outcome = Outcome.DONE,
    grams_per_minute: float = 0.5,
) -> tuple[uuid.UUID, list[Event]]:
    """The events of one usage session: started, progress every few minutes, ended."""
    session_id = uuid.uuid4()
    events = [event(EventKind.SESSION_STARTED, start, session_id, job_name=job_name)]
    for minute in range(progress_every, minutes, progress_every):
        events.append(
            event(
                EventKind.SESSION_PROGRESS,
                start + timedelta(minutes=minute),
                session_id,
                active_seconds=minute * 60.0,
                material_g=minute * grams_per_minute,
            )
        )
    events.append(
        event(
            EventKind.SESSION_ENDED,
            start + timedelta(minutes=minutes),
            session_id,
            active_seconds=minutes * 60.0,
            material_g=minutes * grams_per_minute,
            outcome=outcome,
        )
    )
    return session_id, events


def batch(events: list[Event], sent_at: datetime | None = None) -> dict[str, Any]:
    """The JSON body of a batch."""
    return EventBatch(events=events, sent_at=sent_at).model_dump(mode="json", exclude_none=True)
