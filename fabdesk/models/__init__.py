"""The tables, grouped by area (one module each).

A name imported from here loads its area's module the first time it is asked for (PEP 562
`__getattr__`): a command imports, and SQLAlchemy configures, only the tables it touches (8 classes
of 57 for `fabdesk sites`) and those their foreign keys name (each area imports those areas).
`load_all()` registers every table on `SQLModel.metadata`, for whatever needs the whole schema
(Alembic, the privacy erasure, the schema test).
"""

import importlib
import pkgutil
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import SQLModel

# Deterministic constraint names, so migrations can alter them on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# A table model is never validated when it is made (SQLModel constructs it): pydantic builds its
# validator and serialiser the first time one is used, not for every table at import (a command
# that only reads rows uses none). See docs/startup.md.
SQLModel.model_config["defer_build"] = True

if TYPE_CHECKING:
    from fabdesk.models._types import id_of
    from fabdesk.models.actions import ManagerAction, ManagerToken
    from fabdesk.models.audits import Audit, AuditScan, ScanOutcome
    from fabdesk.models.badges import BadgeDecision
    from fabdesk.models.bookings import (
        LIVE_STATES,
        Booking,
        BookingPolicy,
        BookingState,
        CalendarToken,
        JobRun,
        MaintenanceWindow,
        MakerSuspension,
        Notification,
        SiteClosure,
        WaitlistEntry,
        WaitlistState,
    )
    from fabdesk.models.devices import Device, IngestedEvent, MachineStatus
    from fabdesk.models.disputes import ChargeDispute, DisputeState
    from fabdesk.models.equipment import (
        Equipment,
        EquipmentCategory,
        EquipmentShare,
        EquipmentStatus,
        Investor,
    )
    from fabdesk.models.history import EquipmentEvent, EquipmentEventKind, MaintenanceRecord
    from fabdesk.models.invoices import (
        BankTransaction,
        Invoice,
        InvoiceCounter,
        InvoiceItem,
    )
    from fabdesk.models.ledger import (
        AccountKind,
        Cheque,
        ChequeProgramme,
        EquipmentCost,
        InvestorMember,
        LedgerAccount,
        LedgerPeriod,
        LedgerPosting,
        LedgerTransaction,
        MaterialSale,
        PeriodBalance,
        PeriodUsage,
        SheetMaterial,
        TransactionKind,
        UsageCharge,
    )
    from fabdesk.models.makers import (
        Certification,
        Maker,
        ManagerCredential,
        Organisation,
        OrganisationMember,
        Sector,
        Tier,
    )
    from fabdesk.models.problems import ProblemReport
    from fabdesk.models.sites import OpeningHours, Site
    from fabdesk.models.tokens import MakerToken
    from fabdesk.models.trainings import (
        TrainerRight,
        TrainerRole,
        TrainingEnrolment,
        TrainingSession,
        TrainingState,
    )
    from fabdesk.models.usage import AttributedBy, UsageSession

_AREAS = {
    "_types": ("id_of",),
    "actions": ("ManagerAction", "ManagerToken"),
    "audits": ("Audit", "AuditScan", "ScanOutcome"),
    "badges": ("BadgeDecision",),
    "bookings": (
        "LIVE_STATES",
        "Booking",
        "BookingPolicy",
        "BookingState",
        "CalendarToken",
        "JobRun",
        "MaintenanceWindow",
        "MakerSuspension",
        "Notification",
        "SiteClosure",
        "WaitlistEntry",
        "WaitlistState",
    ),
    "devices": ("Device", "IngestedEvent", "MachineStatus"),
    "disputes": ("ChargeDispute", "DisputeState"),
    "equipment": (
        "Equipment",
        "EquipmentCategory",
        "EquipmentShare",
        "EquipmentStatus",
        "Investor",
    ),
    "history": ("EquipmentEvent", "EquipmentEventKind", "MaintenanceRecord"),
    "invoices": ("BankTransaction", "Invoice", "InvoiceCounter", "InvoiceItem"),
    "ledger": (
        "AccountKind",
        "Cheque",
        "ChequeProgramme",
        "EquipmentCost",
        "InvestorMember",
        "LedgerAccount",
        "LedgerPeriod",
        "LedgerPosting",
        "LedgerTransaction",
        "MaterialSale",
        "PeriodBalance",
        "PeriodUsage",
        "SheetMaterial",
        "TransactionKind",
        "UsageCharge",
    ),
    "makers": (
        "Certification",
        "Maker",
        "ManagerCredential",
        "Organisation",
        "OrganisationMember",
        "Sector",
        "Tier",
    ),
    "problems": ("ProblemReport",),
    "sites": ("OpeningHours", "Site"),
    "tokens": ("MakerToken",),
    "trainings": (
        "TrainerRight",
        "TrainerRole",
        "TrainingEnrolment",
        "TrainingSession",
        "TrainingState",
    ),
    "usage": ("AttributedBy", "UsageSession"),
}

_HOME = {name: area for area, names in _AREAS.items() for name in names}
"""Which area module defines each name of `__all__`."""


def __getattr__(name: str) -> Any:
    area = _HOME.get(name)
    if area is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{area}"), name)
    globals()[name] = value
    return value


def load_all() -> sa.MetaData:
    """Import every area module (every file of this package, listed or not) and return
    `SQLModel.metadata`, which then holds every table."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return SQLModel.metadata


__all__ = [
    "LIVE_STATES",
    "AccountKind",
    "AttributedBy",
    "Audit",
    "AuditScan",
    "BadgeDecision",
    "Booking",
    "BookingPolicy",
    "BookingState",
    "CalendarToken",
    "Certification",
    "Cheque",
    "ChequeProgramme",
    "Device",
    "Equipment",
    "EquipmentCategory",
    "EquipmentCost",
    "EquipmentEvent",
    "EquipmentEventKind",
    "EquipmentShare",
    "EquipmentStatus",
    "IngestedEvent",
    "Investor",
    "InvestorMember",
    "JobRun",
    "LedgerAccount",
    "LedgerPeriod",
    "LedgerPosting",
    "LedgerTransaction",
    "MachineStatus",
    "MaintenanceRecord",
    "MaintenanceWindow",
    "Maker",
    "MakerSuspension",
    "MakerToken",
    "ManagerCredential",
    "Notification",
    "OpeningHours",
    "PeriodBalance",
    "PeriodUsage",
    "ScanOutcome",
    "Sector",
    "Site",
    "SiteClosure",
    "Tier",
    "TransactionKind",
    "UsageCharge",
    "UsageSession",
    "WaitlistEntry",
    "WaitlistState",
    "id_of",
]

# accounting
__all__ += [
    "AccountKind",
    "Cheque",
    "ChequeProgramme",
    "EquipmentCost",
    "InvestorMember",
    "LedgerAccount",
    "LedgerPeriod",
    "LedgerPosting",
    "LedgerTransaction",
    "PeriodBalance",
    "PeriodUsage",
    "TransactionKind",
    "UsageCharge",
]

# peers (issue 10)
__all__ += [
    "ChargeDispute",
    "DisputeState",
    "ProblemReport",
    "TrainerRight",
    "TrainerRole",
    "TrainingEnrolment",
    "TrainingSession",
    "TrainingState",
]

# accounting 2: sheet materials, paying organisations
__all__ += ["MaterialSale", "Organisation", "OrganisationMember", "SheetMaterial"]

# accounting 3: invoices and credit notes
__all__ += ["BankTransaction", "Invoice", "InvoiceCounter", "InvoiceItem"]
# hardening (issue 18): the managers' audit log and API tokens
__all__ += ["ManagerAction", "ManagerToken"]
