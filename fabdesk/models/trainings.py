"""Training sessions, their enrolments, and the makers who may train others in a category."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models import equipment, makers, sites  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import str_enum, utc_column


class TrainerRole(StrEnum):
    TRAINER = "trainer"
    INSTRUCTOR = "instructor"


class TrainerRight(SQLModel, table=True):
    """A maker who may give the training of a category and grant its certification."""

    __tablename__ = "trainer_rights"
    __table_args__ = (sa.UniqueConstraint("maker_id", "category_id"),)

    id: int | None = Field(default=None, primary_key=True)
    maker_id: int = Field(foreign_key="makers.id", index=True, ondelete="CASCADE")
    category_id: int = Field(foreign_key="equipment_categories.id", index=True)
    role: TrainerRole = Field(default=TrainerRole.TRAINER, sa_type=str_enum(TrainerRole))


class TrainingState(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class TrainingSession(SQLModel, table=True):
    """One training of a category at a site, given by a trainer of that category."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        sa.CheckConstraint(
            "min_participants >= 1 AND min_participants <= max_participants", name="participants"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(foreign_key="equipment_categories.id", index=True)
    site_id: int = Field(foreign_key="sites.id", index=True)
    trainer_id: int = Field(foreign_key="makers.id", index=True)
    starts_at: datetime = Field(sa_column=utc_column(index=True))
    ends_at: datetime = Field(sa_column=utc_column())
    min_participants: int = 1
    max_participants: int = 8
    state: TrainingState = Field(
        default=TrainingState.SCHEDULED, sa_type=str_enum(TrainingState), index=True
    )
    created_at: datetime = Field(sa_column=utc_column())
    cancelled_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    reason: str = Field(default="", max_length=240)
    """Why it was cancelled."""


class TrainingEnrolment(SQLModel, table=True):
    """A maker enrolled in a training; `passed_at` is set when the trainer records a pass."""

    __tablename__ = "training_enrolments"
    __table_args__ = (sa.UniqueConstraint("training_id", "maker_id"),)

    id: int | None = Field(default=None, primary_key=True)
    training_id: int = Field(foreign_key="training_sessions.id", index=True, ondelete="CASCADE")
    maker_id: int = Field(foreign_key="makers.id", index=True, ondelete="CASCADE")
    enrolled_at: datetime = Field(sa_column=utc_column())
    passed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    certification_id: int | None = Field(
        default=None, foreign_key="certifications.id", ondelete="SET NULL"
    )
