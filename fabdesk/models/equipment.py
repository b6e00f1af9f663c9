"""Equipment categories and the items of the cadastre (the cadastre issue grows this)."""

from __future__ import annotations

from enum import StrEnum

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
