"""Plain SQL for the hot paths (booking checks, boards, free slots): textual statements are
compiled once and skip the ORM's per-call statement building, which dominates at these sizes.

Instants are stored as naive UTC (fabdesk.models._types.UTCDateTime): `param` turns an aware
instant into what the column holds on each database, `instant` reads one back as aware UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

__all__ = ["fetch", "instant", "param"]


@cache
def _statement(sql: str) -> sa.TextClause:
    return sa.text(sql)


def param(session: Session, value: datetime) -> Any:
    """An aware instant as the stored value: naive UTC (text on SQLite, as SQLAlchemy writes)."""
    naive = value.astimezone(UTC).replace(tzinfo=None)
    if session.get_bind().dialect.name == "sqlite":
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f")
    return naive


def instant(value: Any) -> datetime:
    """A stored instant (text on SQLite, naive datetime on PostgreSQL) as aware UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC)


def fetch(session: Session, sql: str, **params: Any) -> Sequence[Any]:
    """Run a textual query in the session's transaction and return its rows."""
    return session.connection().execute(_statement(sql), params).all()
