"""The tables, grouped by area; importing this package registers them all on SQLModel.metadata."""

from sqlmodel import SQLModel

# Deterministic constraint names, so migrations can alter them on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from fabdesk.models._types import id_of  # noqa: E402
from fabdesk.models.equipment import (  # noqa: E402
    Equipment,
    EquipmentCategory,
    EquipmentShare,
    EquipmentStatus,
    Investor,
)
from fabdesk.models.makers import (  # noqa: E402
    Certification,
    Maker,
    ManagerCredential,
    Sector,
    Tier,
)
from fabdesk.models.sites import OpeningHours, Site  # noqa: E402
from fabdesk.models.usage import UsageSession  # noqa: E402

__all__ = [
    "Certification",
    "Equipment",
    "EquipmentCategory",
    "EquipmentShare",
    "EquipmentStatus",
    "Investor",
    "Maker",
    "ManagerCredential",
    "OpeningHours",
    "Sector",
    "Site",
    "Tier",
    "UsageSession",
    "id_of",
]
