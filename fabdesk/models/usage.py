"""Usage sessions: what a machine actually did, as its driver measured it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models._types import str_enum, utc_column
from fabdesk.wire import Outcome


class UsageSession(SQLModel, table=True):
    """One job on one machine. Built by the API from driver events; priced once by accounting.

    Server times (`started_at`, `ended_at`) are where the server placed the session, corrected for
    the device clock offset; the device's own readings are kept beside them.
    """

    __tablename__ = "usage_sessions"
    __table_args__ = (
        # A maker's last use of a category (trainings that lapse when unused), on the booking path.
        sa.Index("ix_usage_sessions_maker_id_started_at", "maker_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: UUID = Field(unique=True, index=True)
    """The driver's session id (idempotency key of its charge)."""
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    maker_id: int | None = Field(default=None, foreign_key="makers.id", index=True)
    booking_id: int | None = Field(default=None, foreign_key="bookings.id", index=True)
    """The booking the session ran in, found from the machine and its start time."""
    started_at: datetime | None = Field(
        default=None, sa_column=utc_column(nullable=True, index=True)
    )
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True, index=True))
    device_started_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    device_ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    active_seconds: float = Field(default=0, ge=0)
    job_name: str | None = Field(default=None, max_length=255)
    material_mm: float | None = None
    material_g: float | None = None
    outcome: Outcome | None = Field(default=None, sa_type=str_enum(Outcome))

    @property
    def finished(self) -> bool:
        return self.ended_at is not None and self.outcome is not None
