"""Makers' personal access tokens for the maker API: issue one (shown once), list, revoke, and
authenticate a request. Only the token's SHA-256 is kept, with when it was last used."""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from fabdesk.errors import Conflict, NotFound, Unauthenticated
from fabdesk.models import Maker, MakerToken, id_of
from fabdesk.usage.devices import hash_token
from inventory.token_use import used_long_ago

__all__ = [
    "AuthenticatedMaker",
    "IssuedToken",
    "authenticate_maker",
    "issue_token",
    "revoke_token",
    "tokens_of",
]

log = logging.getLogger(__name__)

TOKEN_PREFIX = "fdm_"
_HINT_LENGTH = 10
MAX_ACTIVE = 10
"""How many live tokens a maker may hold at once (a phone, a tablet, a laptop…)."""


@dataclass(frozen=True)
class IssuedToken:
    """A new token: the only time it exists outside the maker's phone."""

    token_id: int
    token: str
    hint: str


@dataclass(frozen=True)
class AuthenticatedMaker:
    """Who is calling the maker API: the maker, their language, and the token used."""

    maker_id: int
    token_id: int
    language: str
    used_long_ago: bool = False
    """Its `last_used_at` is older than a minute: the caller notes its use
    (`inventory.token_use.note_used`)."""


def issue_token(session: Session, maker_id: int, *, label: str, now: datetime) -> IssuedToken:
    """A new personal access token of `maker_id`; refused past MAX_ACTIVE live tokens."""
    if session.get(Maker, maker_id) is None:
        raise NotFound("There is no maker {id}.", id=maker_id, error_code="maker_not_found")
    live = [t for t in tokens_of(session, maker_id) if t.active]
    if len(live) >= MAX_ACTIVE:
        raise Conflict(
            "You already have {count} access tokens: revoke one first.",
            count=len(live),
            error_code="too_many_tokens",
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = MakerToken(
        maker_id=maker_id,
        token_hash=hash_token(token),
        token_hint=token[:_HINT_LENGTH],
        label=label[:80],
        created_at=now,
    )
    session.add(row)
    session.flush()
    log.info("maker_token_issued", extra={"maker_id": maker_id, "token_id": row.id})
    return IssuedToken(id_of(row), token, row.token_hint)


def tokens_of(session: Session, maker_id: int) -> list[MakerToken]:
    """A maker's tokens, newest first (revoked ones included)."""
    return list(
        session.exec(
            select(MakerToken)
            .where(MakerToken.maker_id == maker_id)
            .order_by(col(MakerToken.created_at).desc(), col(MakerToken.id).desc())
        ).all()
    )


def revoke_token(
    session: Session, token_id: int, *, now: datetime, maker_id: int | None = None
) -> MakerToken:
    """Revoke a token from now on. `maker_id`: only if it is theirs (a maker revoking their own);
    None for a manager. Revoking twice is a conflict."""
    row = session.get(MakerToken, token_id)
    if row is None or (maker_id is not None and row.maker_id != maker_id):
        raise NotFound("There is no access token {id}.", id=token_id, error_code="token_not_found")
    if row.revoked_at is not None:
        raise Conflict(
            "Access token {id} was already revoked.",
            id=token_id,
            error_code="token_already_revoked",
        )
    row.revoked_at = now
    session.add(row)
    session.flush()
    log.info("maker_token_revoked", extra={"maker_id": row.maker_id, "token_id": token_id})
    return row


def authenticate_maker(session: Session, token: str | None, *, now: datetime) -> AuthenticatedMaker:
    """The maker holding a live `token`, or Unauthenticated (reads only: the caller notes the
    use, `inventory.token_use`)."""
    if not token:
        raise Unauthenticated(
            "An access token is required: send `Authorization: Bearer <token>`.",
            error_code="token_missing",
        )
    digest = hash_token(token)
    row = session.exec(
        select(MakerToken, Maker.language)
        .join(Maker, col(Maker.id) == col(MakerToken.maker_id))
        .where(MakerToken.token_hash == digest)
    ).first()
    # Found by hash (a hash reveals nothing); compared again in constant time.
    if row is None or not hmac.compare_digest(row[0].token_hash, digest):
        raise Unauthenticated("This access token is not known.", error_code="token_unknown")
    found, language = row
    if found.revoked_at is not None:
        raise Unauthenticated("This access token was revoked.", error_code="token_revoked")
    stale = used_long_ago(found.last_used_at, now)
    return AuthenticatedMaker(found.maker_id, id_of(found), language, stale)
