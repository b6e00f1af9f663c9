"""The tables the reports read in SQL expressions, named once (Core `Table` objects)."""

from __future__ import annotations

from fabdesk.models import (
    Cheque,
    ChequeProgramme,
    Equipment,
    EquipmentCategory,
    EquipmentShare,
    Investor,
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
    Maker,
    Site,
    UsageCharge,
    UsageSession,
)

TRANSACTIONS = LedgerTransaction.__table__  # type: ignore[attr-defined]
POSTINGS = LedgerPosting.__table__  # type: ignore[attr-defined]
ACCOUNTS = LedgerAccount.__table__  # type: ignore[attr-defined]
EQUIPMENT = Equipment.__table__  # type: ignore[attr-defined]
CATEGORIES = EquipmentCategory.__table__  # type: ignore[attr-defined]
SITES = Site.__table__  # type: ignore[attr-defined]
INVESTORS = Investor.__table__  # type: ignore[attr-defined]
SHARES = EquipmentShare.__table__  # type: ignore[attr-defined]
CHARGES = UsageCharge.__table__  # type: ignore[attr-defined]
USAGE = UsageSession.__table__  # type: ignore[attr-defined]
MAKERS = Maker.__table__  # type: ignore[attr-defined]
CHEQUES = Cheque.__table__  # type: ignore[attr-defined]
PROGRAMMES = ChequeProgramme.__table__  # type: ignore[attr-defined]
