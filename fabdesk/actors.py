"""Who acts, and where: the acting manager (`Actor`: an id and a scope, one site or the
network) that services take, check and record by id, and the managers' audit log.

Refusal codes: `not_a_manager` (the person has no manager role), `outside_scope` (a site's manager
acting on another site, or on the whole network), `own_case` (deciding one's own case).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session, col, select

from fabdesk.errors import AccessDenied, NotFound
from fabdesk.models import Maker, ManagerAction, ManagerCredential, Site, id_of

__all__ = [
    "SYSTEM",
    "ActionLine",
    "Actor",
    "Author",
    "Origin",
    "actor_for",
    "actor_named",
    "authorise",
    "check_not_own",
    "check_site",
    "list_actions",
    "names_of",
    "record_action",
    "scope_site",
]

Origin = Literal["kiosk", "cli", "api"]


@dataclass(frozen=True)
class Actor:
    """The manager acting, their scope (`site_id`; None: a network admin) and where from."""

    manager_id: int
    site_id: int | None
    origin: Origin

    @property
    def is_admin(self) -> bool:
        return self.site_id is None


def actor_for(session: Session, maker_id: int, origin: Origin) -> Actor:
    """The acting manager `maker_id` with the scope of their manager role."""
    credential = session.get(ManagerCredential, maker_id)
    if credential is None:
        raise AccessDenied("Only a manager may do this.", error_code="not_a_manager")
    return Actor(manager_id=maker_id, site_id=credential.site_id, origin=origin)


def actor_named(session: Session, member_number: str, origin: Origin) -> Actor:
    """The acting manager given by member number (the CLI's `--as M00001`)."""
    maker = session.exec(select(Maker).where(Maker.member_number == member_number.strip())).first()
    if maker is None:
        raise NotFound(
            "No maker has the member number {number}.",
            number=member_number,
            error_code="maker_not_found",
        )
    return actor_for(session, id_of(maker), origin)


def check_site(session: Session, actor: Actor, site_id: int | None) -> None:
    """Refuse unless `actor` manages `site_id` (None: the whole network, for admins only)."""
    if actor.is_admin or actor.site_id == site_id:
        return
    managed = session.get(Site, actor.site_id)
    raise AccessDenied(
        "You manage {site} only.",
        site=managed.name if managed is not None else "one site",
        error_code="outside_scope",
    )


def scope_site(session: Session, actor: Actor, site_code: str | None) -> str | None:
    """The site code a read by `actor` covers: theirs when they ask for none, refused when they
    ask for another; an admin's request as given (None: every site)."""
    if actor.is_admin:
        return site_code
    own = session.get(Site, actor.site_id)
    if own is None:  # the site went away under a manager: they manage nothing
        raise AccessDenied("Only a manager may do this.", error_code="not_a_manager")
    if site_code is not None and site_code != own.code:
        raise AccessDenied("You manage {site} only.", site=own.name, error_code="outside_scope")
    return own.code


Author = Actor | int | None
"""Who makes a change kept in a history: a manager acting (an `Actor`: their scope is checked and
the action goes to the audit log), a maker by id who is not acting as a manager (a serious problem
they report, a trainer releasing a machine), or None: the system (a use, the scheduler, the
seed)."""

SYSTEM = "system"
"""How a change made by no person (`Author` None) is shown."""


def authorise(
    session: Session,
    author: Author,
    action: str,
    *,
    subject: object,
    site_ids: tuple[int, ...],
    now: datetime,
) -> int | None:
    """Refuse a manager acting outside their scope (every site of `site_ids` must be theirs) and
    log the action; returns the id a history keeps (None: the system)."""
    if not isinstance(author, Actor):
        return author
    for site_id in dict.fromkeys(site_ids):
        check_site(session, author, site_id)
    record_action(session, author, action, subject=subject, site_id=site_ids[0], now=now)
    return author.manager_id


def names_of(session: Session, maker_ids: Iterable[int | None]) -> dict[int | None, str]:
    """The names to show for makers kept by id (None: `SYSTEM`; an erased maker's pseudonym)."""
    wanted = {i for i in maker_ids if i is not None}
    names: dict[int | None, str] = {None: SYSTEM}
    if wanted:
        rows = session.exec(select(Maker.id, Maker.name).where(col(Maker.id).in_(wanted))).all()
        names.update(dict(rows))
    return names


def check_not_own(actor: Actor, person_id: int | None) -> None:
    """Refuse a manager deciding their own case (their own dispute…)."""
    if person_id == actor.manager_id:
        raise AccessDenied(
            "You cannot decide your own case: another manager will.", error_code="own_case"
        )


def record_action(
    session: Session,
    actor: Actor,
    action: str,
    *,
    subject: object = "",
    site_id: int | None,
    now: datetime,
) -> None:
    """Write one line of the managers' audit log (in the caller's transaction)."""
    session.add(
        ManagerAction(
            manager_id=actor.manager_id,
            action=action,
            subject=str(subject)[:120],
            site_id=site_id,
            origin=actor.origin,
            at=now,
        )
    )
    session.flush()


@dataclass(frozen=True)
class ActionLine:
    """One line of the audit log as shown: the manager by member number, the site by code."""

    at: datetime
    member_number: str
    action: str
    subject: str
    site_code: str
    origin: str


def list_actions(
    session: Session, actor: Actor, *, since: datetime | None = None, limit: int = 200
) -> list[ActionLine]:
    """The audit log, newest first; network admins only."""
    check_site(session, actor, None)
    query = (
        select(ManagerAction, Maker.member_number, Site.code)
        .join(Maker, col(Maker.id) == col(ManagerAction.manager_id))
        .outerjoin(Site, col(Site.id) == col(ManagerAction.site_id))
        .order_by(col(ManagerAction.at).desc(), col(ManagerAction.id).desc())
    )
    if since is not None:
        query = query.where(col(ManagerAction.at) >= since)
    return [
        ActionLine(row.at, number, row.action, row.subject, code or "", row.origin)
        for row, number, code in session.exec(query.limit(limit)).all()
    ]
