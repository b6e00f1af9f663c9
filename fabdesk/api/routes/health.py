"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from fabdesk.api.deps import StateDep
from fabdesk.api.routes.common import refusals
from fabdesk.db import check_connection
from fabdesk.errors import DatabaseUnavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/health", response_model=Health)
def health() -> Health:
    """The process answers (it does not look at the database)."""
    return Health()


@router.get("/ready", response_model=Health, responses=refusals(503))
def ready(state: StateDep) -> Health:
    """Ready to take traffic (the database answers), or 503 `not_ready`: it says nothing more,
    since anyone may ask."""
    try:
        check_connection(state.engine)
    except DatabaseUnavailable:
        raise DatabaseUnavailable("Not ready: retry later.", error_code="not_ready") from None
    return Health()
