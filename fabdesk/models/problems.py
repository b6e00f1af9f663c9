"""Problem reports: what makers say is wrong with a machine."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models import equipment, makers  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import utc_column


class ProblemReport(SQLModel, table=True):
    """A maker's report of a problem with a machine; a serious one put it out of order."""

    __tablename__ = "problem_reports"

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    maker_id: int | None = Field(default=None, foreign_key="makers.id", ondelete="SET NULL")
    text: str = Field(sa_type=sa.Text)
    serious: bool = False
    reported_at: datetime = Field(sa_column=utc_column(index=True))
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    resolved_by_id: int | None = Field(default=None, foreign_key="makers.id")
    """The manager who resolved it (by id)."""
    resolution: str = Field(default="", max_length=500)
