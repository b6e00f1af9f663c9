"""An item's history: every change (who, by maker id, when, why, before and after) and every
maintenance done on it. Its own area: it names both the equipment and the makers."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models import equipment, makers  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import str_enum, utc_column


class EquipmentEventKind(StrEnum):
    CREATED = "created"
    EDITED = "edited"
    STATUS = "status"
    MOVED = "moved"
    SHARES = "shares"
    MAINTENANCE = "maintenance"
    AUDITED = "audited"


class EquipmentEvent(SQLModel, table=True):
    """One change in the life of an item: who, when, why, and the value before and after."""

    __tablename__ = "equipment_events"

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True, ondelete="CASCADE")
    at: datetime = Field(sa_column=utc_column())
    actor_id: int | None = Field(default=None, foreign_key="makers.id", index=True)
    """Who made the change (a maker, by id); None: the system (a use, the scheduler, the seed)."""
    kind: EquipmentEventKind = Field(sa_type=str_enum(EquipmentEventKind))
    field: str = Field(default="", max_length=64)
    old_value: str = Field(default="", sa_type=sa.Text)
    new_value: str = Field(default="", sa_type=sa.Text)
    reason: str = Field(default="", sa_type=sa.Text)


class MaintenanceRecord(SQLModel, table=True):
    """A maintenance done on an item; the latest one restarts its maintenance plan."""

    __tablename__ = "maintenance_records"

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True, ondelete="CASCADE")
    done_on: date
    usage_hours: float = Field(default=0, ge=0)
    """The item's total hours of active use when the maintenance was done."""
    actor_id: int | None = Field(default=None, foreign_key="makers.id", index=True)
    """Who recorded it (a maker, by id); None: the system."""
    notes: str = Field(default="", sa_type=sa.Text)
    recorded_at: datetime = Field(sa_column=utc_column())
    cost_cents: int | None = Field(default=None, ge=0)
    """What the maintenance cost (parts and work), when known."""
    supplier: str = Field(default="", max_length=160)
    """Who did it or sold the parts (a company; empty when done by the lab)."""
