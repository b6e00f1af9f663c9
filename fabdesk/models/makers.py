"""Makers (the people who use the labs) and their certifications per equipment category."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models import equipment, sites  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import str_enum, utc_column


class Sector(StrEnum):
    """The five sectors the Region's Industrial Plan follows."""

    CONSTRUCTION = "construction"
    MANUFACTURING = "manufacturing"
    """Manufacturing and innovative materials."""
    AGRIFOOD = "agrifood"
    HEALTH = "health"
    CREATIVE = "creative"
    """Cultural and creative industries."""


class Tier(StrEnum):
    """Price tier of a maker."""

    STANDARD = "standard"
    STUDENT = "student"
    NONPROFIT = "nonprofit"


class Maker(SQLModel, table=True):
    __tablename__ = "makers"

    id: int | None = Field(default=None, primary_key=True)
    member_number: str = Field(max_length=32, unique=True, index=True)
    badge_id: str | None = Field(default=None, max_length=64, unique=True, index=True)
    name: str = Field(max_length=160)
    email: str = Field(default="", max_length=254)
    language: Literal["fr", "nl", "en"] = Field(default="fr", sa_type=sa.String(2), max_length=2)
    enterprise_number: str | None = Field(default=None, max_length=10)
    """Belgian company number, ten digits without dots (see fabdesk.identifiers)."""
    tier: Tier = Field(default=Tier.STANDARD, sa_type=str_enum(Tier))
    sector: Sector | None = Field(default=None, sa_type=str_enum(Sector))
    """The sector of the maker's activity, for the Region's monitoring."""


class Certification(SQLModel, table=True):
    """A maker trained on a category, valid from `granted_on` through `expires_on` (if any)."""

    __tablename__ = "certifications"
    __table_args__ = (sa.UniqueConstraint("maker_id", "category_id", "granted_on"),)

    id: int | None = Field(default=None, primary_key=True)
    maker_id: int = Field(foreign_key="makers.id", index=True, ondelete="CASCADE")
    category_id: int = Field(foreign_key="equipment_categories.id", index=True)
    granted_on: date
    expires_on: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.granted_on <= day and (self.expires_on is None or day <= self.expires_on)


class ManagerCredential(SQLModel, table=True):
    """A maker who manages labs: the PIN asked after their badge at a kiosk, kept hashed (scrypt).

    `pin_hash` reads `scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`; wrong PINs in a row are counted
    and lock the PIN for a while (see inventory.managers).
    """

    __tablename__ = "manager_credentials"

    maker_id: int = Field(foreign_key="makers.id", primary_key=True, ondelete="CASCADE")
    site_id: int | None = Field(default=None, foreign_key="sites.id")
    """The one site this manager manages; none: a network admin, who manages every site."""
    pin_hash: str = Field(max_length=255)
    failed_attempts: int = Field(default=0, ge=0)
    locked_until: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class Organisation(SQLModel, table=True):
    """A partner school or company that pays for what its makers book on its behalf."""

    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=160)
    enterprise_number: str = Field(max_length=10, unique=True)
    """Belgian company number, ten digits without dots; printed on its statements."""
    email: str = Field(default="", max_length=254)
    address: str = Field(default="", max_length=300)
    """Postal address printed on its invoices: street and number, postcode and town."""


class OrganisationMember(SQLModel, table=True):
    """A maker who may book on behalf of an organisation (it is billed instead of the maker)."""

    __tablename__ = "organisation_members"

    organisation_id: int = Field(foreign_key="organisations.id", primary_key=True)
    maker_id: int = Field(foreign_key="makers.id", primary_key=True, index=True)
