"""Usage sessions: what a machine actually did, as its driver measured it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models import bookings, equipment, makers, sites  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import str_enum, utc_column
from fabdesk.wire import Outcome


class AttributedBy(StrEnum):
    """How a usage session found who pays for it (see docs/attribution.md)."""

    BADGE = "badge"
    """The badge read at the machine when the session started."""
    BOOKING = "booking"
    """The booking the session overlaps most (the running one wins a tie)."""
    CHECK_IN = "check_in"
    """The booking whose check-in window holds the session's start."""
    MANAGER = "manager"
    """A manager assigned it from the unattributed list."""


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
    last_event_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """Server time of the session's latest event (how far a running session has come)."""
    badge: str | None = Field(default=None, max_length=64)
    """The badge read at the machine that started the session, as the driver sent it."""
    attributed_by: AttributedBy | None = Field(default=None, sa_type=str_enum(AttributedBy))
    """How the payer was found; None while the session is unattributed."""
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id")
    """A manager assigned the session to this organisation (it pays)."""
    lab_site_id: int | None = Field(default=None, foreign_key="sites.id")
    """A manager assigned the session to this lab's own use (its lab account pays)."""
    assigned_by_id: int | None = Field(default=None, foreign_key="makers.id")
    """The manager who assigned the session (by id)."""
    assigned_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))

    @property
    def finished(self) -> bool:
        return self.ended_at is not None and self.outcome is not None

    @property
    def attributed(self) -> bool:
        """Someone pays: a maker, an organisation or a lab's own use."""
        return (
            self.maker_id is not None
            or self.organisation_id is not None
            or self.lab_site_id is not None
        )
