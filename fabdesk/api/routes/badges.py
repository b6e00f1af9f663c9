"""Badges at the machine: the driver asks whether a badge may use its machine now, and fetches the
allow-list it decides from while the server is unreachable; managers list the flagged uses."""

from __future__ import annotations

import secrets
from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel

from fabdesk.api.deps import DeviceDep, ManagerDep, SessionDep, StateDep
from fabdesk.api.routes.common import refusals
from fabdesk.db import write_session
from fabdesk.i18n import translator
from fabdesk.wire import AllowList, BadgeAnswer, BadgeQuestion
from scheduling.badges import Decision, allow_list, decide, flagged_uses, record

router = APIRouter(prefix="/api/v1", tags=["drivers"])
manager_router = APIRouter(prefix="/api/v1", tags=["manager"], dependencies=[ManagerDep])


def answer(decision: Decision, fallback_language: str) -> BadgeAnswer:
    """The decision for the driver, its sentence in the maker's language."""
    language = decision.language or fallback_language
    gettext = translator(language).gettext
    message = decision.sentence.render(gettext) if decision.sentence else ""
    return BadgeAnswer(
        result=decision.result,
        maker_id=decision.maker_id,
        booking_id=decision.booking_id,
        ends_at=decision.ends_at,
        bypass=decision.bypass,
        message=message,
        language=language,
    )


@router.post(
    "/badge",
    response_model=BadgeAnswer,
    responses=refusals(401, 422, 429, 503),
    summary="May this badge use the device's machine now?",
)
def badge(question: BadgeQuestion, device: DeviceDep, state: StateDep) -> BadgeAnswer:
    """Allow (maker, booking: the running one, or a walk-in booking made now) or a refusal code
    with its sentence in the maker's language. Every answer is recorded."""
    now = state.clock()
    scheduler = state.settings.scheduler
    with write_session(state.engine) as session:
        decision = decide(
            session,
            equipment_id=device.equipment_id,
            badge=question.badge,
            now=now,
            settings=scheduler,
            walk_in_minutes=scheduler.machine_walk_in_minutes,
        )
        record(
            session,
            equipment_id=device.equipment_id,
            device_id=device.device_id,
            badge=question.badge,
            decision=decision,
            decided_at=now,
            now=now,
        )
    return answer(decision, state.settings.kiosk.language)


@router.get(
    "/allow-list",
    response_model=AllowList,
    responses=refusals(401, 429),
    summary="Who may use the device's machine (hashed badges, no names)",
)
def badges_allowed(device: DeviceDep, session: SessionDep, state: StateDep) -> AllowList:
    scheduler = state.settings.scheduler
    return allow_list(
        session,
        equipment_id=device.equipment_id,
        now=state.clock(),
        settings=scheduler,
        walk_in_minutes=scheduler.machine_walk_in_minutes,
        salt=secrets.token_hex(16),
    )


class FlaggedUsePublic(BaseModel):
    id: int
    equipment_tag: str
    site_code: str
    maker_id: int | None
    member_number: str | None
    decided_at: datetime
    result: str
    """What the server decides (the refusal code)."""
    offline_result: str | None


@manager_router.get(
    "/badge-decisions/flagged",
    response_model=list[FlaggedUsePublic],
    responses=refusals(401, 403),
    summary="Uses a driver allowed offline that the server refuses",
)
def flagged(session: SessionDep, site: str | None = Query(default=None)) -> list[FlaggedUsePublic]:
    return [
        FlaggedUsePublic(
            id=use.decision_id,
            equipment_tag=use.equipment_tag,
            site_code=use.site_code,
            maker_id=use.maker_id,
            member_number=use.member_number,
            decided_at=use.decided_at,
            result=use.result,
            offline_result=use.offline_result,
        )
        for use in flagged_uses(session, site_code=site)
    ]
