"""Machine status from the drivers: last seen, reported state, outbox backlog, last fault.

Written by ingest for every batch; read by the kiosk board (`machine_statuses`) and the
scheduler's offline alert (`silent_machines`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from fabdesk.models import Equipment, MachineStatus
from fabdesk.usage.devices import AuthenticatedDevice
from fabdesk.wire import Event, EventKind, MachineState

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


def _state_of(event: Event) -> MachineState | None:
    return event.readings.state or _IMPLIED_STATE.get(event.kind)


def record_status(
    session: Session,
    device: AuthenticatedDevice,
    events: Sequence[Event],
    *,
    now: datetime,
    clock_offset: timedelta,
) -> None:
    """The machine was heard from at `now`; newer states, faults and backlogs replace older ones
    (by device time, so a late batch of old events never overwrites a fresh state)."""
    insert: Any = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    table = MachineStatus.__table__  # type: ignore[attr-defined]
    session.execute(
        insert(table)
        .values(
            equipment_id=device.equipment_id,
            device_id=device.device_id,
            last_seen_at=now,
            state=MachineState.UNKNOWN,
            clock_offset_seconds=clock_offset.total_seconds(),
        )
        .on_conflict_do_nothing(index_elements=["equipment_id"])
    )
    status = session.get(MachineStatus, device.equipment_id, with_for_update=True)
    assert status is not None
    status.device_id = device.device_id
    status.last_seen_at = max(status.last_seen_at, now)
    status.clock_offset_seconds = clock_offset.total_seconds()
    ordered = sorted(events, key=lambda e: e.device_time)
    for event in ordered:
        state = _state_of(event)
        if state is not None and (
            status.state_device_time is None or event.device_time >= status.state_device_time
        ):
            status.state = state
            status.state_device_time = event.device_time
        if event.kind is EventKind.FAULT and (
            status.last_fault_at is None or event.device_time + clock_offset >= status.last_fault_at
        ):
            status.last_fault_at = event.device_time + clock_offset
            status.last_fault_detail = event.readings.detail
    backlog = [e.outbox_backlog for e in ordered if e.outbox_backlog is not None]
    if backlog:
        status.outbox_backlog = backlog[-1]
    session.add(status)
    session.flush()


def machine_statuses(session: Session) -> list[MachineStatusView]:
    """Every machine whose driver has spoken, in asset-tag order."""
    rows = session.exec(
        select(MachineStatus, Equipment.asset_tag)
        .join(Equipment, col(Equipment.id) == col(MachineStatus.equipment_id))
        .order_by(col(Equipment.asset_tag))
    ).all()
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
    )


__all__ = ["MachineStatusView", "machine_statuses", "record_status", "silent_machines"]
