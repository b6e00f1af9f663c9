"""Makers' personal access tokens for the maker API (their phone): only a hash is kept."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from fabdesk.models import makers  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import utc_column


class MakerToken(SQLModel, table=True):
    """A maker's bearer token for `/api/v1/me/`, shown once at the kiosk; revocable."""

    __tablename__ = "maker_tokens"

    id: int | None = Field(default=None, primary_key=True)
    maker_id: int = Field(foreign_key="makers.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    """Hex SHA-256 of the token; the token itself is shown once and never stored."""
    token_hint: str = Field(max_length=12)
    """The first characters of the token, so a person can tell two tokens apart."""
    label: str = Field(default="", max_length=80)
    """Where it was made (`kiosk cityfab1`) or what for, as the maker or manager said."""
    created_at: datetime = Field(sa_column=utc_column())
    last_used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))

    @property
    def active(self) -> bool:
        return self.revoked_at is None
