"""The managers' list of usage sessions nobody could be named for, and their assignment.

A finished session without a maker (no badge, no booking it ran in) is never charged to an
anonymous account: it waits here until a manager assigns it to a maker, an organisation or the
lab's own use (the site's `lab:<site>` account). It is charged then, once: the charge's
idempotency key is the session's uuid, so assigning again posts nothing. A month cannot be
closed while sessions of it wait (`fabdesk.accounting.close`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from fabdesk.accounting.charges import WAITING, post_usage_charge
from fabdesk.accounting.ledger import PostedTransaction, account_id
from fabdesk.accounting.months import month_bounds, parse_month
from fabdesk.accounting.pricing import PriceRules
from fabdesk.actors import Actor, check_site, record_action
from fabdesk.errors import Conflict, InvalidValue, NotFound
from fabdesk.models import (
    AccountKind,
    AttributedBy,
    Equipment,
    Organisation,
    Site,
    UsageSession,
    id_of,
)
from inventory.makers import find_by_badge

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WaitingSession:
    """One unattributed, finished usage session, as a manager sees it."""

    id: int
    uuid: UUID
    equipment_tag: str
    site_code: str
    started_at: datetime
    ended_at: datetime
    active_seconds: float
    job_name: str | None
    badge: str | None
    """A badge was read but names nobody here (a new card, a visitor's)."""


@dataclass(frozen=True)
class Assignee:
    """Who pays for an assigned session: exactly one of a maker, an organisation, a lab."""

    maker_id: int | None = None
    organisation_id: int | None = None
    lab_site_id: int | None = None

    def __post_init__(self) -> None:
        named = [self.maker_id, self.organisation_id, self.lab_site_id]
        if sum(value is not None for value in named) != 1:
            raise InvalidValue(
                "Assign a session to one maker, one organisation or one lab's own use.",
                error_code="assignee",
            )


@dataclass(frozen=True)
class Assigned:
    usage_session_id: int
    assignee: Assignee
    charge: PostedTransaction | None
    """The charge posted now (None: the session has not finished yet, or was charged before)."""


def unattributed_sessions(
    session: Session, *, zone: ZoneInfo, site_code: str | None = None, month: str | None = None
) -> list[WaitingSession]:
    """The finished sessions waiting for a manager, oldest first; of one site and/or one month
    (`YYYY-MM` of `zone`, the ledger's, by the session's end) when given."""
    query = (
        select(UsageSession, Equipment.asset_tag, Site.code)
        .join(Equipment, col(Equipment.id) == col(UsageSession.equipment_id))
        .join(Site, col(Site.id) == col(Equipment.site_id))
        .where(WAITING)
        .order_by(col(UsageSession.ended_at), col(UsageSession.id))
    )
    if site_code is not None:
        query = query.where(Site.code == site_code)
    if month is not None:
        start, end = month_bounds(parse_month(month), zone)
        query = query.where(col(UsageSession.ended_at) >= start, col(UsageSession.ended_at) < end)
    return [_waiting(usage, tag, code) for usage, tag, code in session.exec(query).all()]


def _waiting(usage: UsageSession, tag: str, code: str) -> WaitingSession:
    assert usage.started_at is not None  # finished
    assert usage.ended_at is not None
    return WaitingSession(
        id=id_of(usage),
        uuid=usage.uuid,
        equipment_tag=tag,
        site_code=code,
        started_at=usage.started_at,
        ended_at=usage.ended_at,
        active_seconds=usage.active_seconds,
        job_name=usage.job_name,
        badge=usage.badge,
    )


def resolve_assignee(
    session: Session,
    *,
    maker: str | None = None,
    organisation: str | None = None,
    lab: str | None = None,
) -> Assignee:
    """The assignee named by a maker's member number or badge, an organisation's code, or the
    code of the site whose own use it was (exactly one of them)."""
    if sum(value is not None for value in (maker, organisation, lab)) != 1:
        raise InvalidValue(
            "Name one maker, one organisation or one lab to assign the session to.",
            error_code="assignee",
        )
    if maker is not None:
        return Assignee(maker_id=id_of(find_by_badge(session, maker)))
    if organisation is not None:
        found = session.exec(
            select(Organisation).where(Organisation.code == organisation.upper())
        ).first()
        if found is None:
            raise NotFound(
                "There is no organisation {code}.",
                code=organisation,
                error_code="organisation_not_found",
            )
        return Assignee(organisation_id=id_of(found))
    site = session.exec(select(Site).where(Site.code == lab)).first()
    if site is None:
        raise NotFound("There is no site {code}.", code=lab, error_code="site_not_found")
    return Assignee(lab_site_id=id_of(site))


def assign_session(
    session: Session,
    usage_session_id: int,
    assignee: Assignee,
    *,
    actor: Actor,
    now: datetime,
    rules: PriceRules,
) -> Assigned:
    """Assign an unattributed session and charge it if it has finished.

    Assigning it again to the same payer changes nothing (and posts nothing); a session that
    already has a payer is refused (`session_already_attributed`): a wrong charge is corrected
    by a dispute, not by moving the session. Only a manager of the machine's site (or a network
    admin) may assign; it is kept in the managers' audit log.
    """
    usage = session.exec(
        select(UsageSession).where(UsageSession.id == usage_session_id).with_for_update()
    ).first()
    if usage is None:
        raise NotFound(
            "There is no usage session {id}.", id=usage_session_id, error_code="session_not_found"
        )
    equipment = session.get(Equipment, usage.equipment_id)
    site_id = equipment.site_id if equipment is not None else None
    check_site(session, actor, site_id)
    current = (
        Assignee(usage.maker_id, usage.organisation_id, usage.lab_site_id)
        if (usage.attributed)
        else None
    )
    if current is not None:
        if current == assignee and usage.attributed_by is AttributedBy.MANAGER:
            return Assigned(usage_session_id, assignee, None)
        raise Conflict(
            "Usage session {id} is already attributed: it cannot be assigned again.",
            id=usage_session_id,
            error_code="session_already_attributed",
        )
    if assignee.lab_site_id is not None:
        site = session.get(Site, assignee.lab_site_id)
        assert site is not None
        account_id(session, AccountKind.LAB, assignee.lab_site_id, f"{site.name}: lab use")
    usage.maker_id = assignee.maker_id
    usage.organisation_id = assignee.organisation_id
    usage.lab_site_id = assignee.lab_site_id
    usage.attributed_by = AttributedBy.MANAGER
    usage.assigned_by_id = actor.manager_id
    usage.assigned_at = now
    session.add(usage)
    session.flush()
    record_action(
        session,
        actor,
        "usage_assigned",
        subject=f"usage session {usage_session_id}",
        site_id=site_id,
        now=now,
    )
    log.info("usage_assigned", extra={"session_id": str(usage.uuid), "actor": actor.manager_id})
    charge = (
        post_usage_charge(session, usage_session_id, now=now, rules=rules)
        if usage.finished
        else None
    )
    return Assigned(usage_session_id, assignee, charge)
