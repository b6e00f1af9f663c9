"""Machine status from the drivers: last seen, reported state, outbox backlog, last fault.

Written by ingest for every batch; read by the kiosk board (`machine_statuses`) and the
scheduler's offline alert (`silent_machines`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from fabdesk.models import Equipment, MachineStatus
from fabdesk.usage.devices import AuthenticatedDevice
from fabdesk.usage.sessions import clean_text
from fabdesk.wire import Event, EventKind, MachineState

_status = MachineStatus.__table__  # type: ignore[attr-defined]

MAX_BACKLOG = 2**31 - 1
"""The wire does not bound `outbox_backlog`; the database's integer does: larger is kept as this."""

_IMPLIED_STATE = {
    EventKind.SESSION_STARTED: MachineState.RUNNING,
    EventKind.SESSION_PROGRESS: MachineState.RUNNING,
    EventKind.SESSION_ENDED: MachineState.IDLE,
}


@dataclass(frozen=True)
class MachineStatusView:
    equipment_tag: str
    last_seen_at: datetime
    state: MachineState
    outbox_backlog: int | None
    last_fault_at: datetime | None
    last_fault_detail: str | None
    clock_offset_seconds: float
    clock_suspect: bool


def _state_of(event: Event) -> MachineState | None:
    return event.readings.state or _IMPLIED_STATE.get(event.kind)


def record_status(
    session: Session,
    device: AuthenticatedDevice,
    events: Sequence[tuple[Event, datetime]],
    *,
    now: datetime,
    clock_offset: timedelta,
    clock_suspect: bool | None,
) -> None:
    """The machine was heard from at `now`; newer states, faults and backlogs replace older ones.

    `events` pairs each new event with its corrected time (ingest's `DeviceClock`): newer is
    by that time, so a late batch of old events never overwrites a fresh state, and a clock that
    was once a year ahead cannot hold a state for good (a stored time beyond `now` is ignored).
    `clock_suspect` is the batch's verdict on the device's clock (None: nothing new to judge).
    """
    c = _status.c
    locked = sa.select(_status).where(c.equipment_id == device.equipment_id).with_for_update()
    row = session.execute(locked).first()
    if row is None:
        insert: Any = (
            postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        )
        session.execute(
            insert(_status)
            .values(
                equipment_id=device.equipment_id,
                device_id=device.device_id,
                last_seen_at=now,
                state=MachineState.UNKNOWN,
                clock_offset_seconds=clock_offset.total_seconds(),
            )
            .on_conflict_do_nothing(index_elements=["equipment_id"])
        )
        row = session.execute(locked).one()
    state, state_time = row.state, _believable(row.state_device_time, now)
    fault_at, fault_detail = _believable(row.last_fault_at, now), row.last_fault_detail
    backlog, backlog_time = row.outbox_backlog, None
    for event, at in events:
        reported = _state_of(event)
        if reported is not None and (state_time is None or at >= state_time):
            state, state_time = reported, at
        if event.kind is EventKind.FAULT and (fault_at is None or at >= fault_at):
            fault_at, fault_detail = at, clean_text(event.readings.detail)
        if event.outbox_backlog is not None and (backlog_time is None or at >= backlog_time):
            backlog, backlog_time = min(event.outbox_backlog, MAX_BACKLOG), at
    session.execute(
        _status.update()
        .where(c.equipment_id == device.equipment_id)
        .values(
            device_id=device.device_id,
            last_seen_at=max(row.last_seen_at, now),
            clock_offset_seconds=clock_offset.total_seconds(),
            state=state,
            state_device_time=state_time,
            last_fault_at=fault_at,
            last_fault_detail=fault_detail,
            outbox_backlog=backlog,
            clock_suspect=row.clock_suspect if clock_suspect is None else clock_suspect,
        )
    )


def _believable(stored: datetime | None, now: datetime) -> datetime | None:
    """A stored time from the future (written before clocks were corrected) never wins."""
    return None if stored is None or stored > now else stored


def machine_statuses(session: Session, *, site_id: int | None = None) -> list[MachineStatusView]:
    """Every machine whose driver has spoken (of `site_id` when given), in asset-tag order."""
    query = (
        select(MachineStatus, Equipment.asset_tag)
        .join(Equipment, col(Equipment.id) == col(MachineStatus.equipment_id))
        .order_by(col(Equipment.asset_tag))
    )
    if site_id is not None:
        query = query.where(Equipment.site_id == site_id)
    rows = session.exec(query).all()
    return [_view(status, tag) for status, tag in rows]


def silent_machines(
    session: Session, *, now: datetime, after: timedelta
) -> list[MachineStatusView]:
    """Machines whose driver has not been heard from for longer than `after` (offline alert)."""
    return [view for view in machine_statuses(session) if now - view.last_seen_at > after]


def _view(status: MachineStatus, tag: str) -> MachineStatusView:
    return MachineStatusView(
        equipment_tag=tag,
        last_seen_at=status.last_seen_at,
        state=status.state,
        outbox_backlog=status.outbox_backlog,
        last_fault_at=status.last_fault_at,
        last_fault_detail=status.last_fault_detail,
        clock_offset_seconds=status.clock_offset_seconds,
        clock_suspect=status.clock_suspect,
    )


__all__ = ["MachineStatusView", "machine_statuses", "record_status", "silent_machines"]
