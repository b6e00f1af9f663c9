"""Badges at the machine: every decision on "may this badge use this machine now?" (issue 15)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Field, SQLModel

from fabdesk.models import bookings, devices, equipment, makers  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import utc_column


class BadgeDecision(SQLModel, table=True):
    """One answer to a badge at a machine: the server's own, or the driver's offline one that the
    server checked again on arrival (`source = "offline"`). `result` is "allow" or a refusal
    code (docs/refusals.md). An offline allow that the server refuses is `flagged` for the
    managers (`fabdesk badges flagged`); the use itself is kept and charged as any other."""

    __tablename__ = "badge_decisions"

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    device_id: int | None = Field(default=None, foreign_key="devices.id")
    maker_id: int | None = Field(default=None, foreign_key="makers.id", index=True)
    """The badge's maker; None when the badge is not known."""
    badge_hash: str = Field(max_length=64)
    """SHA-256 of the badge (never the badge itself), to tell unknown badges apart."""
    decided_at: datetime = Field(sa_column=utc_column(index=True))
    """When the badge was presented (the device's time for an offline decision)."""
    recorded_at: datetime = Field(sa_column=utc_column())
    result: str = Field(max_length=64)
    booking_id: int | None = Field(default=None, foreign_key="bookings.id")
    source: str = Field(default="server", max_length=16)
    """"server" (asked online) or "offline" (decided by the driver's allow-list)."""
    offline_result: str | None = Field(default=None, max_length=64)
    """What the driver decided alone (offline decisions only)."""
    event_uuid: UUID | None = Field(default=None, unique=True)
    """The session_started event that carried an offline decision (checked once)."""
    flagged: bool = False
    """The driver allowed a use offline that the server refuses."""
