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

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from functools import cache
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
    clock_suspect: bool
    """Some event's device time was implausible and was corrected (see `DeviceClock`), or
    the batch's measured offset is beyond the tolerance."""
    clock: DeviceClock
    """How this batch's device times were judged: `clock.corrected(t)` places any of them."""


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


@dataclass(frozen=True)
class DeviceClock:
    """What the server knows to judge one batch's device times."""

    offset: timedelta
    """The batch's clock offset (`clock_offset`)."""
    measured: bool
    """The offset was measured from the batch's `sent_at` (else it only moves future times)."""
    now: datetime
    """When the server received the batch."""
    registered_at: datetime | None
    """When the device was registered: nothing it measured can be older."""
    tolerance: timedelta
    """How far a device time may stray (clocks drift, networks lag) before it counts as wrong."""

    def plausible(self, moment: datetime) -> bool:
        """Not before the device was registered, not after the receive time (give or take the
        tolerance)."""
        earliest = (self.registered_at or EARLIEST) - self.tolerance
        return earliest <= moment <= self.now + self.tolerance

    @property
    def wrong_now(self) -> bool:
        """The device's clock was wrong when it sent the batch (a measured offset beyond the
        tolerance): every time in the batch is moved by the offset."""
        return self.measured and abs(self.offset) > self.tolerance

    def corrected(self, device_time: datetime) -> tuple[datetime, bool]:
        """The time to believe for `device_time`, and whether it was corrected.

        A plausible device time from a clock that is right now is kept: an outbox may deliver
        old events late, on time. Otherwise it is moved by the batch's offset; if even that is
        implausible (a 1970 time sent after the clock was set, without the driver's monotonic
        base), the receive time is the best the server knows.
        """
        if self.plausible(device_time) and not self.wrong_now:
            return device_time, False
        moved = device_time + self.offset
        if self.plausible(moved):
            return moved, moved != device_time
        return self.now, True


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
    "badge",
    "clock_corrected",
)


def event_values(event: Event, device: AuthenticatedDevice, clock: DeviceClock) -> tuple[Any, ...]:
    """The row of `event`, in EVENT_COLUMNS order, as Python values."""
    readings = event.readings
    server_time, corrected = clock.corrected(event.device_time)
    return (
        event.id,
        device.device_id,
        device.equipment_id,
        event.kind,
        event.session_id,
        event.device_time,
        server_time,
        clock.now,
        readings.active_seconds,
        clean_text(readings.job_name),
        readings.material_mm,
        readings.material_g,
        readings.outcome,
        readings.state,
        clean_text(readings.detail),
        None if event.outbox_backlog is None else min(event.outbox_backlog, MAX_BACKLOG),
        clean_text(event.badge),
        corrected,
    )


def _hex(value: UUID | None) -> str | None:
    return None if value is None else value.hex


def _stored_time(value: datetime) -> str:
    # Naive UTC in SQLAlchemy's storage format for DATETIME on SQLite, so the ORM reads these rows
    # back; PostgreSQL reads the same text as a timestamp.
    return value.astimezone(UTC).isoformat(sep=" ", timespec="microseconds")[:26]


def stored_values(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """`values` as text and numbers, in the form the models' column types store (UUIDs as hex,
    instants as naive UTC, enums by value), which both databases take as they are. Ingest writes
    events below the ORM's per-value type processing: it is most of the cost of a batch."""
    (uuid, device_id, equipment_id, kind, session_uuid, device_time, server_time, received_at,
     active, job, mm, grams, outcome, state, detail, backlog, badge,
     corrected) = values  # fmt: skip
    return (
        uuid.hex, device_id, equipment_id, kind.value, _hex(session_uuid),
        _stored_time(device_time), _stored_time(server_time), _stored_time(received_at),
        active, job, mm, grams, outcome.value if outcome else None,
        state.value if state else None, detail, backlog, badge, corrected,
    )  # fmt: skip


_PG_TYPES = (
    "uuid", "integer", "integer", "text", "uuid", "timestamp", "timestamp", "timestamp", "float8",
    "text", "float8", "float8", "text", "text", "text", "integer", "text", "boolean",
)  # fmt: skip
_FROM_JSON = (
    "SELECT "
    + ", ".join(f"(r->>{i})::{kind}" for i, kind in enumerate(_PG_TYPES))
    + " FROM jsonb_array_elements(%s::jsonb) AS r"
)
"""PostgreSQL reads the rows (arrays in EVENT_COLUMNS order) from one JSON parameter."""


def _store_events(session: Session, rows: Sequence[tuple[Any, ...]]) -> set[UUID]:
    """Insert the rows in one `INSERT … ON CONFLICT DO NOTHING RETURNING uuid` statement: the
    UUIDs stored by this statement (the others were there already).

    SQLite takes a multi-row VALUES; PostgreSQL one JSON parameter (`_FROM_JSON`), which keeps
    the statement short (psycopg prepares it once) and leaves the parsing to the server's C code
    instead of adapting 1,600 values in Python."""
    values = [stored_values(row) for row in rows]
    columns = ", ".join(EVENT_COLUMNS)
    returning = " ON CONFLICT (uuid) DO NOTHING RETURNING uuid"
    connection = session.connection()
    if session.get_bind().dialect.name == "sqlite":
        one_row = "(" + ", ".join(["?"] * len(EVENT_COLUMNS)) + ")"
        sql = f"INSERT INTO {_events.name} ({columns}) VALUES " + ", ".join([one_row] * len(rows))
        params = tuple(value for row in values for value in row)
        return {UUID(hex=row[0]) for row in connection.exec_driver_sql(sql + returning, params)}
    sql = f"INSERT INTO {_events.name} ({columns}) {_FROM_JSON}"
    document = json.dumps(values)
    return {row[0] for row in connection.exec_driver_sql(sql + returning, (document,))}


def ingest_batch(
    session: Session,
    device: AuthenticatedDevice,
    batch: EventBatch,
    *,
    now: datetime,
    clock_tolerance: timedelta,
) -> IngestResult:
    """Store the batch's new events and bring their usage sessions and the machine status up to
    date. Raises InvalidValue (malformed) or AccessDenied (another machine's event or session);
    the caller then rolls back, so nothing is written. `clock_tolerance` (a setting) is how far
    in the future a device time may be before it is corrected (see `DeviceClock`)."""
    check_batch(batch)
    offset = clock_offset(batch, now)
    clock = DeviceClock(
        offset, batch.sent_at is not None, now, device.registered_at, clock_tolerance
    )
    unique: dict[UUID, Event] = {}
    for event in batch.events:
        unique.setdefault(event.id, event)
    # UUID order: two transactions meet on the unique index in the same order (no deadlock).
    rows = [event_values(unique[uuid], device, clock) for uuid in sorted(unique)]
    times = {row[0]: row[6] for row in rows}
    suspect = clock.wrong_now or any(row[-1] for row in rows)
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
    record_status(
        session,
        device,
        [(event, times[event.id]) for event in accepted_events],
        now=now,
        clock_offset=offset,
        clock_suspect=suspect if accepted_events else None,
    )
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
        clock_suspect=suspect,
        clock=clock,
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


@cache
def _session_upsert(dialect: str, count: int) -> Any:
    """Create the missing sessions and lock them all in one statement (ON CONFLICT DO UPDATE takes
    the row lock on PostgreSQL), in UUID order; RETURNING gives the state before. Built once per
    dialect and number of sessions: building statements costs more than running them here."""
    c = _sessions.c
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = insert(_sessions).values(
        [
            {"uuid": sa.bindparam(f"u{i}", type_=c.uuid.type),
             "equipment_id": sa.bindparam("equipment_id", type_=c.equipment_id.type),
             "active_seconds": 0.0}
            for i in range(count)
        ]
    )  # fmt: skip
    return upsert.on_conflict_do_update(
        index_elements=["uuid"], set_={"uuid": upsert.excluded.uuid}
    ).returning(c.id, c.uuid, c.equipment_id, c.ended_at, c.outcome)


_TOTALS = tuple(field.name for field in fields(SessionTotals))
"""The usage session's columns rebuilt from its events: SessionTotals' fields, by name."""
_UPDATE_TOTALS = (
    _sessions.update()
    .where(_sessions.c.id == sa.bindparam("b_id"))
    .values({name: sa.bindparam(name, type_=_sessions.c[name].type) for name in _TOTALS})
)


def _rebuild_sessions(
    session: Session, device: AuthenticatedDevice, session_uuids: Sequence[UUID]
) -> tuple[list[int], list[int]]:
    upsert = _session_upsert(session.get_bind().dialect.name, len(session_uuids))
    params: dict[str, Any] = {f"u{i}": uuid for i, uuid in enumerate(session_uuids)}
    current = session.execute(upsert, {**params, "equipment_id": device.equipment_id}).all()
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
    session.execute(_UPDATE_TOTALS, updates)
    return [row.id for row in current], finished


_c = _events.c
_AGGREGATES = (
    sa.select(
        _c.session_uuid,
        sa.func.min(_c.device_time),
        sa.func.min(_c.server_time),
        sa.func.max(_c.server_time),
        sa.func.max(_c.active_seconds),
        sa.func.max(_c.material_mm),
        sa.func.max(_c.material_g),
    )
    .where(_c.session_uuid.in_(sa.bindparam("uuids", expanding=True)))
    .group_by(_c.session_uuid)
)
_MILESTONES = sa.select(
    _c.session_uuid,
    _c.uuid,
    _c.kind,
    _c.device_time,
    _c.server_time,
    _c.job_name,
    _c.outcome,
    _c.badge,
).where(
    _c.session_uuid.in_(sa.bindparam("uuids", expanding=True)),
    sa.or_(
        _c.kind.in_([EventKind.SESSION_STARTED, EventKind.SESSION_ENDED]),
        _c.job_name.is_not(None),
    ),
)


def _session_facts(session: Session, session_uuids: Sequence[UUID]) -> dict[UUID, SessionFacts]:
    """The facts of each session, in two queries: aggregates, then the few milestone events."""
    aggregates = session.execute(_AGGREGATES, {"uuids": list(session_uuids)}).all()
    milestones: dict[UUID, list[SessionEvent]] = {}
    rows = session.execute(_MILESTONES, {"uuids": list(session_uuids)})
    for row in rows:
        milestones.setdefault(row.session_uuid, []).append(
            SessionEvent(
                uuid=row.uuid,
                kind=row.kind,
                device_time=row.device_time,
                server_time=row.server_time,
                job_name=row.job_name,
                outcome=row.outcome,
                badge=row.badge,
            )
        )
    return {
        uuid: SessionFacts(
            milestones=tuple(milestones.get(uuid, ())),
            first_device_time=first_device,
            first_server_time=first_server,
            last_server_time=last_server,
            max_active_seconds=active,
            max_material_mm=material_mm,
            max_material_g=material_g,
        )
        for uuid, first_device, first_server, last_server, active, material_mm, material_g in (
            aggregates
        )
    }


def _totals_row(totals: SessionTotals) -> dict[str, Any]:
    return {name: getattr(totals, name) for name in _TOTALS}
