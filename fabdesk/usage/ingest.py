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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from fabdesk.errors import AccessDenied, InvalidValue
from fabdesk.models import IngestedEvent, UsageSession
from fabdesk.usage.devices import AuthenticatedDevice
from fabdesk.usage.heartbeats import MAX_BACKLOG, record_status
from fabdesk.usage.sessions import (
    SessionEvent,
    SessionFacts,
    SessionTotals,
    clean_text,
    summarise_facts,
)
from fabdesk.wire import WIRE_VERSION, Event, EventBatch, EventKind

log = logging.getLogger(__name__)

_events = IngestedEvent.__table__  # type: ignore[attr-defined]
_sessions = UsageSession.__table__  # type: ignore[attr-defined]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Device times outside [EARLIEST, LATEST) are refused (422). A Pi whose clock is not set yet
says 1970: such events are kept, with their device time, rather than blocking the outbox."""

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
    if batch.sent_at is not None and not EARLIEST <= batch.sent_at < LATEST:
        raise InvalidValue(
            "The batch's sent_at {time} is not a plausible time.",
            time=batch.sent_at.isoformat(),
            error_code="device_time_out_of_range",
        )
    for index, event in enumerate(batch.events):
        if not EARLIEST <= event.device_time < LATEST:
            raise InvalidValue(
                "Event {index} ({uuid}) has device_time {time}: not a plausible time.",
                index=index,
                uuid=str(event.id),
                time=event.device_time.isoformat(),
                error_code="device_time_out_of_range",
            )
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


EVENT_COLUMNS = (
    "uuid",
    "device_id",
    "equipment_id",
    "kind",
    "session_uuid",
    "device_time",
    "server_time",
    "received_at",
    "active_seconds",
    "job_name",
    "material_mm",
    "material_g",
    "outcome",
    "state",
    "detail",
    "outbox_backlog",
)


def event_values(
    event: Event, device: AuthenticatedDevice, offset: timedelta, now: datetime
) -> tuple[Any, ...]:
    """The row of `event`, in EVENT_COLUMNS order, as Python values."""
    readings = event.readings
    return (
        event.id,
        device.device_id,
        device.equipment_id,
        event.kind,
        event.session_id,
        event.device_time,
        event.device_time + offset,
        now,
        readings.active_seconds,
        clean_text(readings.job_name),
        readings.material_mm,
        readings.material_g,
        readings.outcome,
        readings.state,
        clean_text(readings.detail),
        None if event.outbox_backlog is None else min(event.outbox_backlog, MAX_BACKLOG),
    )


def _sqlite_uuid(value: UUID | None) -> str | None:
    return None if value is None else value.hex


def _utc_naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_time(value: datetime) -> str:
    # SQLAlchemy's storage format for DATETIME on SQLite, so the ORM reads these rows back.
    return _utc_naive(value).isoformat(sep=" ", timespec="microseconds")


def driver_values(dialect: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
    """`values` as the database driver takes them, in the form the models' column types store
    (UUIDs as hex on SQLite, instants as naive UTC, enums by value). Ingest writes events below
    the ORM's per-value type processing: it is most of the cost of a batch."""
    (uuid, device_id, equipment_id, kind, session_uuid, device_time, server_time, received_at,
     active, job, mm, grams, outcome, state, detail, backlog) = values  # fmt: skip
    enums = (kind.value, outcome.value if outcome else None, state.value if state else None)
    times: tuple[Any, ...]
    if dialect == "sqlite":
        uuid, session_uuid = _sqlite_uuid(uuid), _sqlite_uuid(session_uuid)
        times = (_sqlite_time(device_time), _sqlite_time(server_time), _sqlite_time(received_at))
    else:
        times = (_utc_naive(device_time), _utc_naive(server_time), _utc_naive(received_at))
    return (
        uuid, device_id, equipment_id, enums[0], session_uuid, *times,
        active, job, mm, grams, enums[1], enums[2], detail, backlog,
    )  # fmt: skip


_PG_ARRAY_TYPES = (
    "uuid[]", "integer[]", "integer[]", "text[]", "uuid[]", "timestamp[]", "timestamp[]",
    "timestamp[]", "float8[]", "text[]", "float8[]", "float8[]", "text[]", "text[]", "text[]",
    "integer[]",
)  # fmt: skip
"""PostgreSQL types of EVENT_COLUMNS, for the one-array-per-column insert."""


def _store_events(session: Session, rows: Sequence[tuple[Any, ...]]) -> set[UUID]:
    """Insert the rows in one `INSERT … ON CONFLICT DO NOTHING RETURNING uuid` statement: the
    UUIDs stored by this statement (the others were there already).

    SQLite takes a multi-row VALUES; PostgreSQL one array per column (`unnest`), which keeps the
    statement short, so psycopg caches and prepares it instead of parsing 1,600 placeholders."""
    dialect = session.get_bind().dialect.name
    values = [driver_values(dialect, row) for row in rows]
    columns = ", ".join(EVENT_COLUMNS)
    returning = " ON CONFLICT (uuid) DO NOTHING RETURNING uuid"
    connection = session.connection()
    if dialect == "sqlite":
        one_row = "(" + ", ".join(["?"] * len(EVENT_COLUMNS)) + ")"
        sql = f"INSERT INTO {_events.name} ({columns}) VALUES " + ", ".join([one_row] * len(rows))
        params = tuple(value for row in values for value in row)
        return {UUID(hex=row[0]) for row in connection.exec_driver_sql(sql + returning, params)}
    arrays = ", ".join(f"%s::{kind}" for kind in _PG_ARRAY_TYPES)
    sql = f"INSERT INTO {_events.name} ({columns}) SELECT * FROM unnest({arrays})"
    params = tuple(list(column) for column in zip(*values, strict=True))
    return {row[0] for row in connection.exec_driver_sql(sql + returning, params)}


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
    rows = [event_values(unique[uuid], device, offset, now) for uuid in sorted(unique)]
    accepted_set = _store_events(session, rows)
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
    # One statement creates the missing sessions and locks them all (ON CONFLICT DO UPDATE
    # takes the row lock on PostgreSQL), in UUID order; RETURNING gives the state before.
    c = _sessions.c
    upsert = _insert(session, _sessions).values(
        [
            {"uuid": uuid, "equipment_id": device.equipment_id, "active_seconds": 0.0}
            for uuid in session_uuids
        ]
    )
    current = session.execute(
        upsert.on_conflict_do_update(
            index_elements=["uuid"], set_={"uuid": upsert.excluded.uuid}
        ).returning(c.id, c.uuid, c.equipment_id, c.ended_at, c.outcome)
    ).all()
    for row in current:
        if row.equipment_id != device.equipment_id:
            raise AccessDenied(
                "Usage session {uuid} belongs to another machine.",
                uuid=str(row.uuid),
                error_code="session_of_another_machine",
            )
    facts = _session_facts(session, session_uuids)
    updates: list[dict[str, Any]] = []
    finished: list[int] = []
    for row in current:
        totals = summarise_facts(facts[row.uuid])
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


def _session_facts(session: Session, session_uuids: Sequence[UUID]) -> dict[UUID, SessionFacts]:
    """The facts of each session, in two queries: aggregates, then the few milestone events."""
    c = _events.c
    of_these = c.session_uuid.in_(list(session_uuids))
    aggregates = session.execute(
        sa.select(
            c.session_uuid,
            sa.func.min(c.device_time),
            sa.func.min(c.server_time),
            sa.func.max(c.active_seconds),
            sa.func.max(c.material_mm),
            sa.func.max(c.material_g),
        )
        .where(of_these)
        .group_by(c.session_uuid)
    ).all()
    milestones: dict[UUID, list[SessionEvent]] = {}
    rows = session.execute(
        sa.select(
            c.session_uuid, c.uuid, c.kind, c.device_time, c.server_time, c.job_name, c.outcome
        ).where(
            of_these,
            sa.or_(
                c.kind.in_([EventKind.SESSION_STARTED, EventKind.SESSION_ENDED]),
                c.job_name.is_not(None),
            ),
        )
    )
    for row in rows:
        milestones.setdefault(row.session_uuid, []).append(
            SessionEvent(
                uuid=row.uuid,
                kind=row.kind,
                device_time=row.device_time,
                server_time=row.server_time,
                job_name=row.job_name,
                outcome=row.outcome,
            )
        )
    return {
        uuid: SessionFacts(
            milestones=tuple(milestones.get(uuid, ())),
            first_device_time=first_device,
            first_server_time=first_server,
            max_active_seconds=active,
            max_material_mm=material_mm,
            max_material_g=material_g,
        )
        for uuid, first_device, first_server, active, material_mm, material_g in aggregates
    }


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
