"""Ingest a batch: store each event once by UUID, then rebuild the usage sessions it touched.

One batch is one transaction (the caller's): a refused batch writes nothing. Concurrent batches
are safe on both databases: on SQLite the caller holds the write lock (`write_session`); on
PostgreSQL `INSERT … ON CONFLICT DO NOTHING RETURNING` tells which events this transaction
stored, and the touched sessions are locked in UUID order (`FOR UPDATE`) before they are rebuilt
from all their stored events, so two batches never lose each other's events and never deadlock.

Accounting's hook: `IngestResult.finished_session_ids` lists the usage sessions that became
finished in this batch; the caller may post their charges in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from fabdesk.errors import AccessDenied, InvalidValue
from fabdesk.models import IngestedEvent, UsageSession
from fabdesk.usage.devices import AuthenticatedDevice
from fabdesk.usage.heartbeats import record_status
from fabdesk.usage.sessions import SessionEvent, SessionTotals, summarise
from fabdesk.wire import WIRE_VERSION, Event, EventBatch, EventKind

log = logging.getLogger(__name__)

_events = IngestedEvent.__table__  # type: ignore[attr-defined]
_sessions = UsageSession.__table__  # type: ignore[attr-defined]

SESSION_KINDS = frozenset(
    {EventKind.SESSION_STARTED, EventKind.SESSION_PROGRESS, EventKind.SESSION_ENDED}
)


@dataclass(frozen=True)
class IngestResult:
    accepted: list[UUID]
    """Events stored by this batch."""
    duplicates: list[UUID]
    """Events already stored before: acknowledged and ignored."""
    touched_session_ids: list[int]
    """Usage sessions created or updated by this batch."""
    finished_session_ids: list[int]
    """Usage sessions that became finished (ended, with an outcome) in this batch: the ones to
    charge. A session is listed here once in its life."""
    clock_offset: timedelta
    """Server time minus device time, as estimated for this batch."""


def clock_offset(batch: EventBatch, now: datetime) -> timedelta:
    """How far the device's clock is behind the server's (negative: ahead).

    With `sent_at` it is measured (`now - sent_at`, network delay included). Without it, only a
    clock that is ahead can be told apart from a late batch (an outbox emptied after a network cut
    sends old events on time), so only events from the future are moved back.
    """
    if batch.sent_at is not None:
        return now - batch.sent_at
    newest = max(event.device_time for event in batch.events)
    return min(timedelta(0), now - newest)


def check_batch(batch: EventBatch) -> None:
    """Refuse what the schema cannot say: unknown wire versions, session events without session."""
    if batch.wire_version != WIRE_VERSION:
        raise InvalidValue(
            "Wire version {version} is not supported; this server speaks version {supported}.",
            version=batch.wire_version,
            supported=WIRE_VERSION,
            error_code="wire_version_unsupported",
        )
    for index, event in enumerate(batch.events):
        if event.kind in SESSION_KINDS and event.session_id is None:
            raise InvalidValue(
                "Event {index} ({uuid}) is a {kind} event without a session_id.",
                index=index,
                uuid=str(event.id),
                kind=event.kind.value,
                error_code="session_id_missing",
            )


def _insert(session: Session, table: sa.Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _event_row(
    event: Event, device: AuthenticatedDevice, offset: timedelta, now: datetime
) -> dict[str, Any]:
    readings = event.readings
    return {
        "uuid": event.id,
        "device_id": device.device_id,
        "equipment_id": device.equipment_id,
        "kind": event.kind,
        "session_uuid": event.session_id,
        "device_time": event.device_time,
        "server_time": event.device_time + offset,
        "received_at": now,
        "active_seconds": readings.active_seconds,
        "job_name": readings.job_name,
        "material_mm": readings.material_mm,
        "material_g": readings.material_g,
        "outcome": readings.outcome,
        "state": readings.state,
        "detail": readings.detail,
        "outbox_backlog": event.outbox_backlog,
    }


def ingest_batch(
    session: Session, device: AuthenticatedDevice, batch: EventBatch, *, now: datetime
) -> IngestResult:
    """Store the batch's new events and bring their usage sessions and the machine status up to
    date. Raises InvalidValue (malformed) or AccessDenied (another machine's event or session);
    the caller then rolls back, so nothing is written."""
    check_batch(batch)
    offset = clock_offset(batch, now)
    unique: dict[UUID, Event] = {}
    for event in batch.events:
        unique.setdefault(event.id, event)
    # UUID order: two transactions meet on the unique index in the same order (no deadlock).
    rows = [_event_row(unique[uuid], device, offset, now) for uuid in sorted(unique)]
    stored = session.execute(
        _insert(session, _events)
        .on_conflict_do_nothing(index_elements=["uuid"])
        .returning(_events.c.uuid),
        rows,
    )
    accepted_set = {row[0] for row in stored}
    duplicates = [uuid for uuid in unique if uuid not in accepted_set]
    if duplicates:
        _check_duplicates_are_ours(session, device, duplicates)
    accepted_events = [unique[uuid] for uuid in unique if uuid in accepted_set]

    touched: list[int] = []
    finished: list[int] = []
    session_uuids = sorted({e.session_id for e in accepted_events if e.session_id is not None})
    if session_uuids:
        touched, finished = _rebuild_sessions(session, device, session_uuids)
    record_status(session, device, accepted_events, now=now, clock_offset=offset)
    if accepted_events:
        log.debug(
            "batch_ingested",
            extra={
                "device_id": device.device_id,
                "machine": device.equipment_tag,
                "accepted": len(accepted_events),
                "duplicates": len(duplicates),
            },
        )
    return IngestResult(
        accepted=[e.id for e in accepted_events],
        duplicates=duplicates,
        touched_session_ids=touched,
        finished_session_ids=finished,
        clock_offset=offset,
    )


def _check_duplicates_are_ours(
    session: Session, device: AuthenticatedDevice, duplicates: Sequence[UUID]
) -> None:
    foreign = session.execute(
        sa.select(_events.c.uuid)
        .where(_events.c.uuid.in_(duplicates), _events.c.equipment_id != device.equipment_id)
        .limit(1)
    ).first()
    if foreign is not None:
        raise AccessDenied(
            "Event {uuid} belongs to another machine.",
            uuid=str(foreign[0]),
            error_code="event_of_another_machine",
        )


def _rebuild_sessions(
    session: Session, device: AuthenticatedDevice, session_uuids: Sequence[UUID]
) -> tuple[list[int], list[int]]:
    session.execute(
        _insert(session, _sessions).on_conflict_do_nothing(index_elements=["uuid"]),
        [
            {"uuid": uuid, "equipment_id": device.equipment_id, "active_seconds": 0.0}
            for uuid in session_uuids
        ],
    )
    current = session.execute(
        sa.select(
            _sessions.c.id,
            _sessions.c.uuid,
            _sessions.c.equipment_id,
            _sessions.c.ended_at,
            _sessions.c.outcome,
        )
        .where(_sessions.c.uuid.in_(session_uuids))
        .order_by(_sessions.c.uuid)
        .with_for_update()
    ).all()
    for row in current:
        if row.equipment_id != device.equipment_id:
            raise AccessDenied(
                "Usage session {uuid} belongs to another machine.",
                uuid=str(row.uuid),
                error_code="session_of_another_machine",
            )
    events = _session_events(session, session_uuids)
    updates: list[dict[str, Any]] = []
    finished: list[int] = []
    for row in current:
        totals = summarise(events[row.uuid])
        was_finished = row.ended_at is not None and row.outcome is not None
        if totals.finished and not was_finished:
            finished.append(row.id)
        updates.append({"b_id": row.id, **_totals_row(totals)})
    session.execute(
        _sessions.update()
        .where(_sessions.c.id == sa.bindparam("b_id"))
        .values({name: sa.bindparam(name) for name in updates[0] if name != "b_id"}),
        updates,
    )
    return [row.id for row in current], finished


def _session_events(
    session: Session, session_uuids: Iterable[UUID]
) -> dict[UUID, list[SessionEvent]]:
    c = _events.c
    found: dict[UUID, list[SessionEvent]] = {}
    result = session.execute(
        sa.select(
            c.session_uuid,
            c.uuid,
            c.kind,
            c.device_time,
            c.server_time,
            c.active_seconds,
            c.job_name,
            c.material_mm,
            c.material_g,
            c.outcome,
        ).where(c.session_uuid.in_(list(session_uuids)))
    )
    for row in result:
        found.setdefault(row.session_uuid, []).append(
            SessionEvent(
                uuid=row.uuid,
                kind=row.kind,
                device_time=row.device_time,
                server_time=row.server_time,
                active_seconds=row.active_seconds,
                job_name=row.job_name,
                material_mm=row.material_mm,
                material_g=row.material_g,
                outcome=row.outcome,
            )
        )
    return found


def _totals_row(totals: SessionTotals) -> dict[str, Any]:
    return {
        "started_at": totals.started_at,
        "ended_at": totals.ended_at,
        "device_started_at": totals.device_started_at,
        "device_ended_at": totals.device_ended_at,
        "active_seconds": totals.active_seconds,
        "job_name": totals.job_name,
        "material_mm": totals.material_mm,
        "material_g": totals.material_g,
        "outcome": totals.outcome,
    }
