"""Equipment categories, the items of the cadastre, their history, maintenance and co-investors."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models import sites  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import str_enum


class EquipmentStatus(StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_ORDER = "out_of_order"
    MAINTENANCE = "maintenance"
    LENT_OUT = "lent_out"
    RETIRED = "retired"
    TO_CHECK = "to_check"
    """Used, and waiting for a manager or trainer to check it (`check_after_use` machines)."""


class EquipmentCategory(SQLModel, table=True):
    """A kind of machine or tool; trainings certify makers per category."""

    __tablename__ = "equipment_categories"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name_en: str = Field(max_length=120)
    name_fr: str = Field(max_length=120)
    name_nl: str = Field(max_length=120)
    needs_training: bool = True
    lapse_after_days: int | None = Field(default=None, ge=1)
    """A certification of this category lapses after so many days without using one of its
    machines (besides its fixed expiry); None: it never lapses that way."""

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
    check_after_use: bool = False
    """After each use (a usage session ends, a booking completes) the item goes to `to_check`
    until a manager or trainer releases it."""
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
    # The cadastre (inventory.register keeps these; every change is an EquipmentEvent).
    make: str = Field(default="", max_length=80)
    """Manufacturer, e.g. Trotec."""
    model: str = Field(default="", max_length=120)
    """Manufacturer's model name, e.g. Speedy 360."""
    serial_number: str = Field(default="", max_length=80)
    acquired_on: date | None = None
    acquisition_cost_cents: int | None = Field(default=None, ge=0)
    """What the item cost, VAT included, in cents."""
    expected_life_years: int | None = Field(default=None, ge=1)
    """Years over which the item is depreciated (straight line)."""
    training_category_code: str | None = Field(default=None, max_length=32)
    """Code of the category whose training a maker needs to use this item; None means the item's
    own category (when that category needs training)."""
    maintenance_every_days: int | None = Field(default=None, ge=1)
    """Maintenance plan: at least every so many days (None: no calendar plan)."""
    maintenance_every_hours: int | None = Field(default=None, ge=1)
    """Maintenance plan: at least every so many hours of active use (None: no usage plan)."""
    last_maintenance_on: date | None = None
    notes: str = Field(default="", sa_type=sa.Text)
    manual_urls: str = Field(default="", sa_type=sa.Text)
    """Links to manuals, one per line."""
    lent_to: str | None = Field(default=None, max_length=160)
    """Who borrowed the item, while it is lent out (personal data: never exported as open data)."""
    lent_until: date | None = None
    last_seen_on: date | None = None
    """Day of the last audit that found the item."""
    next_audit_due_on: date | None = None


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
