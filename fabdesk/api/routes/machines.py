"""Manager endpoints: what each machine's driver last said."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from fabdesk.api.deps import ActorDep, SessionDep
from fabdesk.api.routes.common import refusals
from fabdesk.usage.heartbeats import machine_statuses
from fabdesk.wire import MachineState

router = APIRouter(prefix="/api/v1", tags=["manager"])


class MachineStatusPublic(BaseModel):
    equipment_tag: str
    last_seen_at: datetime
    state: MachineState
    outbox_backlog: int | None
    last_fault_at: datetime | None
    last_fault_detail: str | None
    clock_offset_seconds: float
    clock_suspect: bool


@router.get(
    "/machines/status",
    response_model=list[MachineStatusPublic],
    responses=refusals(401, 403, 429),
    summary="Last heard state of every machine",
)
def statuses(actor: ActorDep, session: SessionDep) -> list[MachineStatusPublic]:
    """Every machine of your site (every site for a network admin) whose driver has spoken:
    last seen (server time), state, outbox backlog."""
    return [
        MachineStatusPublic(**vars(view))
        for view in machine_statuses(session, site_id=actor.site_id)
    ]
