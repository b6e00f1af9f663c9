"""Managers' API tokens: one or more per manager, shown once, kept as a SHA-256 hash, revocable,
with the time each was last used. A token acts with its manager's scope (one site or the
network); a manager who loses their role loses their tokens' power with it.

Refusal codes: `token_missing`, `token_unknown` (wrong or revoked), `not_a_manager`,
`outside_scope`, `manager_token_not_found`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from fabdesk.actors import Actor, actor_for, check_site, record_action
from fabdesk.errors import NotFound, Unauthenticated
from fabdesk.models import Maker, ManagerCredential, ManagerToken, id_of
from fabdesk.usage.devices import hash_token
from inventory.token_use import used_long_ago

__all__ = [
    "AuthenticatedManager",
    "IssuedToken",
    "authenticate_manager",
    "issue_token",
    "list_tokens",
    "revoke_token",
]

TOKEN_PREFIX = "fdm_"


@dataclass(frozen=True)
class AuthenticatedManager:
    """Who is calling with a manager token: the manager with their scope, and the token."""

    actor: Actor
    token_id: int
    used_long_ago: bool = False
    """Its `last_used_at` is older than a minute: the caller notes its use in a transaction
    of its own (`inventory.token_use.note_used`; a read that turns into a write is refused at
    once by SQLite when another writer committed in between: a driver's ingest made the
    manager's request a 503)."""


@dataclass(frozen=True)
class IssuedToken:
    """A new token: the only time it exists outside its holder's hands."""

    token_id: int
    token: str


def _credential(session: Session, maker: Maker) -> ManagerCredential:
    credential = session.get(ManagerCredential, id_of(maker))
    if credential is None:
        raise NotFound(
            "{number} is not a manager.", number=maker.member_number, error_code="not_a_manager"
        )
    return credential


def issue_token(
    session: Session, actor: Actor, maker: Maker, *, label: str, now: datetime
) -> IssuedToken:
    """A new API token for the manager `maker`, issued by `actor` (themselves, or a manager of
    a scope that covers theirs: a network admin for a network admin)."""
    credential = _credential(session, maker)
    if actor.manager_id != id_of(maker):
        check_site(session, actor, credential.site_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ManagerToken(
        manager_id=id_of(maker), label=label.strip()[:80], token_hash=hash_token(token),
        created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    record_action(
        session, actor, "token_issued", subject=f"token {row.id}", site_id=credential.site_id,
        now=now,
    )  # fmt: skip
    return IssuedToken(token_id=id_of(row), token=token)


def list_tokens(session: Session, actor: Actor) -> list[tuple[ManagerToken, str]]:
    """The tokens `actor` may see (their own; every token for a network admin), with their
    manager's member number, newest first."""
    query = (
        select(ManagerToken, Maker.member_number)
        .join(Maker, col(Maker.id) == col(ManagerToken.manager_id))
        .order_by(col(ManagerToken.id).desc())
    )
    if not actor.is_admin:
        query = query.where(ManagerToken.manager_id == actor.manager_id)
    return [(row, number) for row, number in session.exec(query).all()]


def revoke_token(session: Session, actor: Actor, token_id: int, *, now: datetime) -> None:
    """Revoke a token (its own manager or a network admin may); revoking twice changes nothing."""
    row = session.get(ManagerToken, token_id)
    if row is None or (row.manager_id != actor.manager_id and not actor.is_admin):
        raise NotFound(
            "No manager token has the id {id}.", id=token_id, error_code="manager_token_not_found"
        )
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        record_action(
            session, actor, "token_revoked", subject=f"token {token_id}", site_id=None, now=now
        )


def authenticate_manager(
    session: Session, token: str | None, *, now: datetime
) -> AuthenticatedManager:
    """The manager holding `token`, with their scope; reads only (see `inventory.token_use`)."""
    if not token:
        raise Unauthenticated(
            "A manager token is required: send `Authorization: Bearer <token>`.",
            error_code="token_missing",
        )
    row = session.exec(
        select(ManagerToken).where(
            ManagerToken.token_hash == hash_token(token), col(ManagerToken.revoked_at).is_(None)
        )
    ).first()
    if row is None:
        raise Unauthenticated("This manager token is not right.", error_code="token_unknown")
    stale = used_long_ago(row.last_used_at, now)
    return AuthenticatedManager(actor_for(session, row.manager_id, "api"), id_of(row), stale)
