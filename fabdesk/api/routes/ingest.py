"""The driver endpoints: post event batches, ask for the machine's context."""

from __future__ import annotations

import logging
from datetime import datetime

from fastapi import APIRouter
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from fabdesk.api.deps import DeviceDep, NowDep, SessionDep, StateDep
from fabdesk.api.routes.common import refusals
from fabdesk.db import write_session
from fabdesk.usage.context import machine_context
from fabdesk.usage.follow_up import after_ingest
from fabdesk.usage.ingest import IngestResult, ingest_batch
from fabdesk.wire import BatchAck, EventBatch, MachineContext
from scheduling.badges import Offline, recheck_offline

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["drivers"])

_RETRIED_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
_ATTEMPTS = 3


@router.post(
    "/ingest",
    response_model=BatchAck,
    responses=refusals(401, 403, 413, 422, 429, 503),
    summary="Post a batch of events",
)
def ingest(batch: EventBatch, device: DeviceDep, state: StateDep) -> BatchAck:
    """Store the batch's events once each (by UUID) in one transaction. The answer lists the
    events stored now and those the server already had; both may be dropped from the outbox."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            result = _ingest_once(batch, device, state)
            break
        except OperationalError as exc:
            sqlstate = getattr(exc.orig, "sqlstate", None)
            if sqlstate not in _RETRIED_SQLSTATES or attempt == _ATTEMPTS:
                raise
            log.info("ingest_retried", extra={"device_id": device.device_id, "attempt": attempt})
    return BatchAck(accepted=result.accepted, duplicates=result.duplicates)


def _ingest_once(batch: EventBatch, device: DeviceDep, state: StateDep) -> IngestResult:
    now = state.clock()
    with write_session(state.engine) as session:
        result = ingest_batch(
            session,
            device,
            batch,
            now=now,
            clock_tolerance=state.settings.api.clock_tolerance,
        )
        _recheck_offline_decisions(session, device, batch, result, now, state)
        after_ingest(
            session,
            result.touched_session_ids,
            result.finished_session_ids,
            now=now,
            settings=state.settings,
        )
        if result.finished_session_ids:
            for hook in state.finished_hooks:
                hook(session, result.finished_session_ids, now)
    return result


def _recheck_offline_decisions(
    session: Session,
    device: DeviceDep,
    batch: EventBatch,
    result: IngestResult,
    now: datetime,
    state: StateDep,
) -> None:
    """Badges the driver let in alone while the server was unreachable are checked again now
    (docs/badges.md): a use the server refuses is flagged for the managers, never dropped."""
    accepted = set(result.accepted)
    # The badge is checked at the time it was read, on the server's clock: a Pi's clock may be
    # wrong (1970 before NTP); the ingest's clock places it as it placed the event.
    uses = [
        Offline(
            event.id,
            event.badge,
            event.offline_decision,
            result.clock.corrected(event.device_time)[0],
        )
        for event in batch.events
        if event.id in accepted and event.badge and event.offline_decision
    ]
    if uses:
        scheduler = state.settings.scheduler
        recheck_offline(
            session,
            equipment_id=device.equipment_id,
            device_id=device.device_id,
            uses=uses,
            now=now,
            settings=scheduler,
            walk_in_minutes=scheduler.machine_walk_in_minutes,
        )


@router.get(
    "/context",
    response_model=MachineContext,
    responses=refusals(401, 429),
    summary="Who may use the machine now",
)
def context(device: DeviceDep, session: SessionDep, now: NowDep) -> MachineContext:
    """The device's machine and, when there is one, the booking in force on it now."""
    return machine_context(session, device, now=now)
