"""What managers did (the audit log) and their API tokens (hardening, issue 18)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from fabdesk.models import makers, sites  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import utc_column


class ManagerAction(SQLModel, table=True):
    """One action of a manager: who (by id), what, on which subject, at which site, when, from
    where (`kiosk`, `cli`, `api`). Subjects are ids or codes, never a person's name."""

    __tablename__ = "manager_actions"

    id: int | None = Field(default=None, primary_key=True)
    manager_id: int = Field(foreign_key="makers.id", index=True)
    action: str = Field(max_length=64)
    subject: str = Field(default="", max_length=120)
    site_id: int | None = Field(default=None, foreign_key="sites.id")
    origin: str = Field(max_length=8)
    at: datetime = Field(sa_column=utc_column(index=True))


class ManagerToken(SQLModel, table=True):
    """A manager's API token, kept as its SHA-256 hash; it acts with its manager's scope."""

    __tablename__ = "manager_tokens"

    id: int | None = Field(default=None, primary_key=True)
    manager_id: int = Field(foreign_key="makers.id", index=True, ondelete="CASCADE")
    label: str = Field(default="", max_length=80)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(sa_column=utc_column())
    last_used_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
