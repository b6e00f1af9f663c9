"""Column types shared by the models: instants are stored in UTC and read back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A point in time: stored as naive UTC (both databases), returned as aware UTC.

    Naive values are refused, so local wall-clock time can never slip in unnoticed.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL paths on SQLite
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    """A UTCDateTime column for `Field(sa_column=...)`."""
    return sa.Column(UTCDateTime(), nullable=nullable, index=index)


def str_enum(enum_class: type[StrEnum]) -> sa.Enum:
    """A StrEnum kept as its value in a VARCHAR (no native enum type, so migrations stay simple)."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class _HasId(Protocol):
    id: int | None


def id_of(row: _HasId) -> int:
    """The primary key of a row that has been flushed (SQLModel types ids as optional)."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush the session first")
    return row.id
