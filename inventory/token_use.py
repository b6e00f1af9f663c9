"""When a maker's or a manager's API token was last used: read on every request, written at most
once a minute, by the caller, in a transaction of its own (a read that turns into a write is
refused at once by SQLite when another writer committed in between)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from fabdesk.models import MakerToken, ManagerToken

__all__ = ["LAST_USED_STEP", "TokenTable", "note_used", "used_long_ago"]

LAST_USED_STEP = timedelta(minutes=1)
"""`last_used_at` is written at most this often per token (reads stay reads)."""

TokenTable = type[MakerToken] | type[ManagerToken]


def used_long_ago(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a token's recorded last use is older than LAST_USED_STEP (or missing)."""
    return last_used_at is None or now - last_used_at >= LAST_USED_STEP


def note_used(session: Session, table: TokenTable, token_id: int, *, now: datetime) -> None:
    """Record that the token `token_id` of `table` was used at `now`."""
    row = session.get(table, token_id)
    if row is not None:
        row.last_used_at = now
        session.add(row)
        session.flush()
