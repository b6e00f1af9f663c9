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
# A table model is never validated when it is made (SQLModel constructs it): pydantic builds its
# validator and serialiser the first time one is used, not for every table at import (a command
# such as `fabdesk sites` imports all 57 and uses none).
SQLModel.model_config["defer_build"] = True

from fabdesk.models._types import id_of  # noqa: E402
from fabdesk.models.actions import ManagerAction, ManagerToken  # noqa: E402
from fabdesk.models.audits import Audit, AuditScan, ScanOutcome  # noqa: E402
from fabdesk.models.badges import BadgeDecision  # noqa: E402
from fabdesk.models.bookings import (  # noqa: E402
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
from fabdesk.models.devices import Device, IngestedEvent, MachineStatus  # noqa: E402
from fabdesk.models.disputes import ChargeDispute, DisputeState  # noqa: E402
from fabdesk.models.equipment import (  # noqa: E402
    Equipment,
    EquipmentCategory,
    EquipmentEvent,
    EquipmentEventKind,
    EquipmentShare,
    EquipmentStatus,
    Investor,
    MaintenanceRecord,
)
from fabdesk.models.invoices import (  # noqa: E402
    BankTransaction,
    Invoice,
    InvoiceCounter,
    InvoiceItem,
)
from fabdesk.models.ledger import (  # noqa: E402
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
from fabdesk.models.makers import (  # noqa: E402
    Certification,
    Maker,
    ManagerCredential,
    Organisation,
    OrganisationMember,
    Sector,
    Tier,
)
from fabdesk.models.problems import ProblemReport  # noqa: E402
from fabdesk.models.sites import OpeningHours, Site  # noqa: E402
from fabdesk.models.tokens import MakerToken  # noqa: E402
from fabdesk.models.trainings import (  # noqa: E402
    TrainerRight,
    TrainerRole,
    TrainingEnrolment,
    TrainingSession,
    TrainingState,
)
from fabdesk.models.usage import AttributedBy, UsageSession  # noqa: E402

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
