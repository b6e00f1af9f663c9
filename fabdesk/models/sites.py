"""Sites (one fablab each) and their weekly opening hours."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class SiteBase(SQLModel):
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=120)
    address: str = Field(default="", max_length=240)
    timezone: str = Field(default="Europe/Brussels", max_length=64)


class Site(SiteBase, table=True):
    __tablename__ = "sites"

    id: int | None = Field(default=None, primary_key=True)


class OpeningHours(SQLModel, table=True):
    """One opening window of a site on a weekday (0 = Monday); a day may have several."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("opens < closes", name="opens_before_closes"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="sites.id", index=True, ondelete="CASCADE")
    weekday: int
    opens: time
    closes: time
