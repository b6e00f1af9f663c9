"""Manager endpoints: the registered driver devices (never their tokens)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from fabdesk.api.deps import ActorDep, SessionDep
from fabdesk.api.routes.common import refusals
from fabdesk.models import id_of
from fabdesk.usage.devices import list_devices

router = APIRouter(prefix="/api/v1", tags=["manager"])


class DevicePublic(BaseModel):
    id: int
    name: str
    equipment_tag: str
    token_hint: str
    created_at: datetime
    revoked_at: datetime | None


@router.get(
    "/devices",
    response_model=list[DevicePublic],
    responses=refusals(401, 403, 429),
    summary="Registered driver devices",
)
def devices(actor: ActorDep, session: SessionDep) -> list[DevicePublic]:
    return [
        DevicePublic(
            id=id_of(item.device),
            name=item.device.name,
            equipment_tag=item.equipment_tag,
            token_hint=item.device.token_hint,
            created_at=item.device.created_at,
            revoked_at=item.device.revoked_at,
        )
        for item in list_devices(session, site_id=actor.site_id)
    ]
