"""Manager endpoints: usage sessions that wait for a manager, and their assignment."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from fabdesk.accounting.months import ledger_zone
from fabdesk.accounting.pricing import PriceRules
from fabdesk.api.deps import ActorDep, ManagerDep, SessionDep, StateDep
from fabdesk.api.routes.common import refusals
from fabdesk.db import write_session
from fabdesk.usage.unattributed import (
    WaitingSession,
    assign_session,
    resolve_assignee,
    unattributed_sessions,
)

router = APIRouter(prefix="/api/v1/usage", tags=["manager"], dependencies=[ManagerDep])


class Assignment(BaseModel):
    """Exactly one of `maker`, `organisation`, `lab`; the manager who assigns is the token's."""

    model_config = ConfigDict(extra="forbid")

    maker: str | None = Field(default=None, max_length=64)
    """The maker's member number (or badge)."""
    organisation: str | None = Field(default=None, max_length=32)
    """The paying organisation's code."""
    lab: str | None = Field(default=None, max_length=32)
    """The code of the site whose own use it was."""


class AssignmentResult(BaseModel):
    session_id: int
    charge_transaction_id: int | None
    """The charge posted by this request; null when the session was assigned before (the same
    way) or has not finished yet."""


@router.get(
    "/unattributed",
    response_model=list[WaitingSession],
    responses=refusals(401, 403, 422),
    summary="Usage sessions that wait for a manager",
)
def unattributed(
    session: SessionDep, state: StateDep, site: str | None = None, month: str | None = None
) -> list[WaitingSession]:
    """Finished sessions nobody pays for yet (no badge, no booking), oldest first; of one site
    and/or one month (`YYYY-MM`) when asked."""
    zone = ledger_zone(state.settings.scheduler)
    return unattributed_sessions(session, zone=zone, site_code=site, month=month)


@router.post(
    "/{session_id}/assign",
    response_model=AssignmentResult,
    responses=refusals(401, 403, 404, 409, 422),
    summary="Assign a waiting session and charge it",
)
def assign(session_id: int, body: Assignment, state: StateDep, actor: ActorDep) -> AssignmentResult:
    """Assign the session to a maker, an organisation or a lab's own use; it is charged once
    (assigning it again the same way posts nothing; another way is refused with 409)."""
    rules = PriceRules.from_settings(state.settings.accounting, state.settings.scheduler.timezone)
    with write_session(state.engine) as session:
        done = assign_session(
            session,
            session_id,
            resolve_assignee(
                session, maker=body.maker, organisation=body.organisation, lab=body.lab
            ),
            actor=actor,
            now=state.clock(),
            rules=rules,
        )
    return AssignmentResult(
        session_id=session_id, charge_transaction_id=done.charge.id if done.charge else None
    )
