"""Audits of a site: labels scanned, and what was found, misplaced or missing."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from fabdesk.models import equipment, makers, sites  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import str_enum, utc_column


class ScanOutcome(StrEnum):
    FOUND = "found"
    """The item is where the register says."""
    MISPLACED = "misplaced"
    """The item is known but registered at another site or location."""
    UNKNOWN = "unknown"
    """No item has this tag (or the scan is not a tag at all)."""
    DUPLICATE = "duplicate"
    """The item was already scanned in this audit."""
    MISSING = "missing"
    """Written on close for each item of the site that was not scanned."""


class Audit(SQLModel, table=True):
    """An audit of one site, open until its manager closes it."""

    __tablename__ = "audits"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="sites.id", index=True)
    opened_at: datetime = Field(sa_column=utc_column())
    opened_by_id: int | None = Field(default=None, foreign_key="makers.id", index=True)
    """The manager who opened it (by id); None: from before managers were kept by id."""
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_by_id: int | None = Field(default=None, foreign_key="makers.id", index=True)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AuditScan(SQLModel, table=True):
    """One scanned label (or, after closing, one item that was never scanned)."""

    __tablename__ = "audit_scans"

    id: int | None = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audits.id", index=True, ondelete="CASCADE")
    at: datetime = Field(sa_column=utc_column())
    content: str = Field(default="", max_length=255)
    """What the scanner typed."""
    equipment_id: int | None = Field(default=None, foreign_key="equipment.id", index=True)
    outcome: ScanOutcome = Field(sa_type=str_enum(ScanOutcome))
    location: str = Field(default="", max_length=120)
    """Where the scan was made (empty: anywhere in the site)."""
