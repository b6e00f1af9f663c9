"""Bookings and what decides them: policies, closures, maintenance windows, waitlists, suspensions,
the notification outbox and the scheduler's own tables.

Instants are UTC (`utc_column`). A live booking (booked or checked in) blocks its machine from
`starts_at` to `blocked_until` (its end plus the machine's buffer); on PostgreSQL an exclusion
constraint forbids two live bookings of one machine whose blocked ranges overlap.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from fabdesk.booking_rules import BookingRules
from fabdesk.models import equipment, makers, sites  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import UTCDateTime, str_enum, utc_column


class BookingState(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


LIVE_STATES = (BookingState.BOOKED, BookingState.CHECKED_IN)
"""States in which a booking holds its machine."""

_LIVE_SQL = "state IN ('booked', 'checked_in')"

# PostgreSQL only (btree_gist): no two live bookings of one machine overlap, buffer included.
# The migration creates it under a dialect guard; `ddl_if` keeps it out of SQLite DDL.
_NO_OVERLAP = postgresql.ExcludeConstraint(
    (sa.column("equipment_id"), "="),
    (sa.func.tsrange(sa.column("starts_at"), sa.column("blocked_until"), "[)"), "&&"),
    name="no_overlap",
    using="gist",
    where=sa.text(_LIVE_SQL),
).ddl_if(dialect="postgresql")


class Booking(SQLModel, table=True):
    """A maker's reservation of one machine for [starts_at, ends_at)."""

    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.CheckConstraint("ends_at <= blocked_until", name="buffer_after_end"),
        sa.Index("ix_bookings_equipment_id_starts_at", "equipment_id", "starts_at"),
        sa.Index("ix_bookings_maker_id_starts_at", "maker_id", "starts_at"),
        _NO_OVERLAP,
    )

    id: int | None = Field(default=None, primary_key=True)
    maker_id: int = Field(foreign_key="makers.id")
    equipment_id: int = Field(foreign_key="equipment.id")
    starts_at: datetime = Field(sa_column=utc_column())
    ends_at: datetime = Field(sa_column=utc_column())
    blocked_until: datetime = Field(sa_column=utc_column())
    """`ends_at` plus the machine's buffer (cooling, cleaning): the machine is held until then."""
    state: BookingState = Field(
        default=BookingState.BOOKED, sa_type=str_enum(BookingState), index=True
    )
    created_at: datetime = Field(sa_column=utc_column())
    checked_in_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """When the booking was completed, cancelled or released as a no-show."""
    late_cancel: bool = False
    walk_in: bool = False
    reason: str = Field(default="", max_length=240)
    """Why it was cancelled by the lab (machine out of order…), empty otherwise."""
    handover_of: int | None = Field(default=None, foreign_key="bookings.id")
    """The booking this one took over at the kiosk (its rest, from the hand-over on)."""
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id")
    """The organisation the maker booked on behalf of: it is billed for the usage."""


# SQLModel's config type is a superset of pydantic's; at run time the two configs merge.
class BookingPolicy(BookingRules, SQLModel, table=True):  # type: ignore[misc]
    """Booking rules of one machine, or of a whole category (the machine's row wins).

    Without a row, `scheduler.booking` of the settings applies (the same `BookingRules`).
    """

    __tablename__ = "booking_policies"
    __table_args__ = (
        sa.CheckConstraint(
            "(equipment_id IS NULL) <> (category_id IS NULL)", name="machine_or_category"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int | None = Field(
        default=None, foreign_key="equipment.id", unique=True, ondelete="CASCADE"
    )
    category_id: int | None = Field(
        default=None, foreign_key="equipment_categories.id", unique=True, ondelete="CASCADE"
    )


class SiteClosure(SQLModel, table=True):
    """Days a site is closed despite its weekly hours: public holidays and exceptional closures."""

    __tablename__ = "site_closures"
    __table_args__ = (sa.CheckConstraint("first_day <= last_day", name="days_in_order"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="sites.id", index=True, ondelete="CASCADE")
    first_day: date
    last_day: date
    holiday: bool = False
    """A public holiday (True) or an exceptional closure (False)."""
    reason: str = Field(default="", max_length=160)


class MaintenanceWindow(SQLModel, table=True):
    """A time range when a machine cannot be booked."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),)

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True, ondelete="CASCADE")
    starts_at: datetime = Field(sa_column=utc_column())
    ends_at: datetime = Field(sa_column=utc_column())
    reason: str = Field(default="", max_length=160)


class WaitlistState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class WaitlistEntry(SQLModel, table=True):
    """A maker waiting for a taken slot; when it frees, the first in line gets an offer."""

    __tablename__ = "waitlist_entries"
    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.Index("ix_waitlist_entries_equipment_id_starts_at", "equipment_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    maker_id: int = Field(foreign_key="makers.id", index=True, ondelete="CASCADE")
    equipment_id: int = Field(foreign_key="equipment.id", ondelete="CASCADE")
    starts_at: datetime = Field(sa_column=utc_column())
    ends_at: datetime = Field(sa_column=utc_column())
    state: WaitlistState = Field(
        default=WaitlistState.WAITING, sa_type=str_enum(WaitlistState), index=True
    )
    created_at: datetime = Field(sa_column=utc_column())
    offer_expires_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    booking_id: int | None = Field(default=None, foreign_key="bookings.id")


class MakerSuspension(SQLModel, table=True):
    """A maker may not book from `starts_at` until `ends_at` (repeated no-shows, late cancels)."""

    __tablename__ = "maker_suspensions"

    id: int | None = Field(default=None, primary_key=True)
    maker_id: int = Field(foreign_key="makers.id", index=True, ondelete="CASCADE")
    starts_at: datetime = Field(sa_column=utc_column())
    ends_at: datetime = Field(sa_column=utc_column())
    reason: str = Field(default="", max_length=160)


class Notification(SQLModel, table=True):
    """The outbox: every message to a person is written here first, then sent (or not) by a
    notifier. `key` makes writing it idempotent (a job that runs twice adds nothing)."""

    __tablename__ = "notifications"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=40, index=True)
    maker_id: int | None = Field(default=None, foreign_key="makers.id", ondelete="SET NULL")
    recipient: str = Field(default="", max_length=254)
    subject: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_column=utc_column())
    sent_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True, index=True))
    attempts: int = 0
    last_error: str = Field(default="", max_length=400)


class CalendarToken(SQLModel, table=True):
    """The secret token of a maker's iCal feed, kept as its SHA-256 (hex) in `token`."""

    __tablename__ = "calendar_tokens"

    maker_id: int = Field(foreign_key="makers.id", primary_key=True, ondelete="CASCADE")
    token: str = Field(max_length=64, unique=True, index=True)


class JobRun(SQLModel, table=True):
    """One claimed run of a scheduler job: (job, slot) is unique, so a run never happens twice."""

    __tablename__ = "scheduler_runs"

    job: str = Field(max_length=80, primary_key=True)
    slot: datetime = Field(sa_column=sa.Column(UTCDateTime(), primary_key=True))
    started_at: datetime = Field(sa_column=utc_column())
    runner: str = Field(default="", max_length=80)
    """Host and process id of the scheduler that ran it."""


# APScheduler's SQLAlchemyJobStore table, declared here so migrations own it (the job store's own
# `create(checkfirst=True)` then finds it and does nothing).
scheduler_jobs = sa.Table(
    "scheduler_jobs",
    SQLModel.metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)
