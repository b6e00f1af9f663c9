"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from fabdesk.api.deps import StateDep
from fabdesk.api.routes.common import refusals
from fabdesk.db import check_connection

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/health", response_model=Health)
def health() -> Health:
    """The process answers (it does not look at the database)."""
    return Health()


@router.get("/ready", response_model=Health, responses=refusals(503))
def ready(state: StateDep) -> Health:
    """The database answers: ready to take traffic."""
    check_connection(state.engine)
    return Health()
