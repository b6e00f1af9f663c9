"""The routers, one module per area. To add an area's endpoints: write `routes/<area>.py` with a
`router = APIRouter(prefix="/api/v1/...", tags=[...])` whose routes call that area's services
through `SessionDep`/`NowDep` (`ActorDep` for manager routes scoped by site, `ManagerDep` for
the others), then add it to ROUTERS."""

from __future__ import annotations

from fastapi import APIRouter

from fabdesk.api.routes import badges, devices, health, ingest, machines, me, public, reports, usage

ROUTERS: list[APIRouter] = [
    health.router,
    ingest.router,
    badges.router,
    badges.manager_router,
    machines.router,
    devices.router,
    public.router,
    reports.router,
    me.router,
    usage.router,
]
