"""Equipment categories and the items of the cadastre (the cadastre issue grows this)."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models._types import str_enum


class EquipmentStatus(StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_ORDER = "out_of_order"
    MAINTENANCE = "maintenance"
    LENT_OUT = "lent_out"
    RETIRED = "retired"


class EquipmentCategory(SQLModel, table=True):
    """A kind of machine or tool; trainings certify makers per category."""

    __tablename__ = "equipment_categories"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name_en: str = Field(max_length=120)
    name_fr: str = Field(max_length=120)
    name_nl: str = Field(max_length=120)
    needs_training: bool = True

    def name(self, language: str) -> str:
        return str(getattr(self, f"name_{language}", self.name_en))


class Equipment(SQLModel, table=True):
    __tablename__ = "equipment"

    id: int | None = Field(default=None, primary_key=True)
    asset_tag: str = Field(max_length=32, unique=True, index=True)
    site_id: int = Field(foreign_key="sites.id", index=True)
    category_id: int = Field(foreign_key="equipment_categories.id", index=True)
    name: str = Field(max_length=160)
    location: str = Field(default="", max_length=120)
    bookable: bool = True
    status: EquipmentStatus = Field(
        default=EquipmentStatus.IN_SERVICE, sa_type=str_enum(EquipmentStatus)
    )
    # Usage rates (read by accounting): money in cents, always.
    rate_cents_per_hour: int = Field(default=0, ge=0)
    """Price of one hour of active use, before any tier reduction, VAT included."""
    billing_unit_minutes: int = Field(default=1, ge=1)
    """Active time is billed per started unit of this many minutes."""
    minimum_charge_cents: int = Field(default=0, ge=0)
    """The least a session costs, whatever its length."""


class Investor(SQLModel, table=True):
    """A party that paid part of some items: the Region, the City, the lab, a school, a company."""

    __tablename__ = "investors"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=160)
    enterprise_number: str | None = Field(default=None, max_length=10)


class EquipmentShare(SQLModel, table=True):
    """An investor's funding share of an item, in basis points (10000 = 100 %).

    The shares of one item add up to exactly 10000, or the item has none (the lab's own funds).
    """

    __tablename__ = "equipment_shares"
    __table_args__ = (sa.CheckConstraint("basis_points > 0 AND basis_points <= 10000", name="bp"),)

    equipment_id: int = Field(foreign_key="equipment.id", primary_key=True, ondelete="CASCADE")
    investor_id: int = Field(foreign_key="investors.id", primary_key=True)
    basis_points: int
    usage_hours_per_year: int = Field(default=0, ge=0)
    """Hours a year the investor may use the item at its reduced rate."""
