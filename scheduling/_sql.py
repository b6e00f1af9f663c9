"""Plain SQL for the hot paths (booking checks, boards, free slots): textual statements are
compiled once and run on the driver's cursor, skipping the ORM's per-call statement building and
result processing, which dominate at these sizes.

On PostgreSQL every transaction that runs them uses generic plans (`plan_cache_mode =
force_generic_plan`, local to the transaction): psycopg prepares a statement run five times on
a connection, but with a few hundred thousand bookings PostgreSQL judged the generic plan of the
booking checks dearer than a custom one and planned the query at every call (0 generic plans;
planning, ~0.9 ms, cost three times the execution). The plans are the same index scans, all
selective on a machine or a maker.

Instants are stored as naive UTC (fabdesk.models._types.UTCDateTime): `param` turns an aware
instant into what the column holds on each database, `instant` reads one back as aware UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

__all__ = ["fetch", "instant", "param"]


_COMPILED: dict[tuple[str, str], tuple[str, tuple[str, ...] | None]] = {}


def _compiled(sql: str, dialect: sa.Dialect) -> tuple[str, tuple[str, ...] | None]:
    """The driver's SQL for `sql` and, for positional paramstyles, the order of its parameters;
    compiled once per dialect."""
    key = (sql, dialect.name)
    if key not in _COMPILED:
        compiled = sa.text(sql).compile(dialect=dialect)
        order = compiled.positiontup
        _COMPILED[key] = (str(compiled), None if order is None else tuple(order))
    return _COMPILED[key]


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


_GENERIC = "fabdesk_generic_plans"


def _generic_plans(session: Session, cursor: Any) -> None:
    """Ask for generic plans for the rest of the session's transaction (once per transaction)."""
    transaction = session.get_transaction()
    if session.info.get(_GENERIC) is not transaction:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        session.info[_GENERIC] = transaction


def fetch(session: Session, sql: str, **params: Any) -> Sequence[Any]:
    """Run a textual query in the session's transaction and return its rows (tuples).

    It runs on the driver's cursor: SQLAlchemy would rebuild a textual statement's result
    metadata from the cursor description at every call, which costs more than the query."""
    connection = session.connection()
    statement, order = _compiled(sql, connection.dialect)
    cursor = connection.connection.cursor()
    try:
        if connection.dialect.name == "postgresql":
            _generic_plans(session, cursor)
        cursor.execute(statement, params if order is None else tuple(params[n] for n in order))
        rows: Sequence[Any] = cursor.fetchall()
    finally:
        cursor.close()
    return rows
