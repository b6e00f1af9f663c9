"""The ledger of a month as CSV for an accountant: one line per posting, euros with 2 decimals.

Columns: date (the real date of what was recorded), booked_month, transaction_id,
transaction_kind, account_code, account_name, debit, credit, vat (the VAT of the transaction,
repeated on each of its lines; empty when it has none), vat_rate, reference (the source: a usage
session, a cheque, the transaction it reverses…), memo. Each transaction's debits equal its
credits, as the ledger refuses anything else.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from fabdesk.accounting.months import parse_month
from fabdesk.models import (
    AccountKind,
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
    UsageCharge,
    UsageSession,
)

__all__ = ["COLUMNS", "ExportLine", "euros", "export_csv", "export_lines"]

COLUMNS = (
    "date",
    "booked_month",
    "transaction_id",
    "transaction_kind",
    "account_code",
    "account_name",
    "debit",
    "credit",
    "vat",
    "vat_rate",
    "reference",
    "memo",
)

_CENT = Decimal("0.01")


def euros(cents: int) -> Decimal:
    """Cents as euros with exactly two decimals."""
    return (Decimal(cents) / 100).quantize(_CENT)


@dataclass(frozen=True)
class ExportLine:
    day: date
    month: str
    transaction_id: int
    kind: str
    account_code: str
    account_name: str
    debit: Decimal
    credit: Decimal
    vat: Decimal | None
    reference: str
    memo: str


def export_lines(session: Session, month: str) -> list[ExportLine]:
    """Every posting booked in `month`, by transaction then posting order."""
    month = parse_month(month)
    rows = session.exec(
        select(LedgerTransaction, LedgerPosting, LedgerAccount)
        .join(LedgerPosting, col(LedgerPosting.transaction_id) == LedgerTransaction.id)
        .join(LedgerAccount, col(LedgerAccount.id) == LedgerPosting.account_id)
        .where(LedgerTransaction.month == month)
        .order_by(col(LedgerTransaction.id), col(LedgerPosting.id))
    ).all()
    vat: dict[int, int] = defaultdict(int)
    for _transaction, posting, account in rows:
        if account.kind == AccountKind.VAT:
            vat[posting.transaction_id] -= posting.amount_cents
    references = _references(session, {transaction.id for transaction, _p, _a in rows})
    lines = []
    for transaction, posting, account in rows:
        assert transaction.id is not None
        amount = posting.amount_cents
        lines.append(
            ExportLine(
                day=transaction.occurred_on,
                month=transaction.month,
                transaction_id=transaction.id,
                kind=transaction.kind.value,
                account_code=account.code,
                account_name=account.name or account.kind.value,
                debit=euros(amount if amount > 0 else 0),
                credit=euros(-amount if amount < 0 else 0),
                vat=euros(vat[transaction.id]) if vat.get(transaction.id) else None,
                reference=references.get(transaction.id, transaction.key),
                memo=transaction.memo,
            )
        )
    return lines


def _references(session: Session, transaction_ids: set[int | None]) -> dict[int, str]:
    """`usage:<session uuid>` for charges; `reverses:<id>` for reversals; else the key."""
    ids = [found for found in transaction_ids if found is not None]
    if not ids:
        return {}
    found: dict[int, str] = {}
    for transaction_id, uuid in session.exec(
        select(UsageCharge.transaction_id, UsageSession.uuid)
        .join(UsageSession, col(UsageSession.id) == UsageCharge.usage_session_id)
        .where(col(UsageCharge.transaction_id).in_(ids))
    ).all():
        found[transaction_id] = f"usage:{uuid}"
    for reversal_id, reverses, key in session.exec(
        select(LedgerTransaction.id, LedgerTransaction.reverses_id, LedgerTransaction.key).where(
            col(LedgerTransaction.id).in_(ids), col(LedgerTransaction.reverses_id).is_not(None)
        )
    ).all():
        assert reversal_id is not None
        found[reversal_id] = f"reverses:{reverses} ({key})"
    return found


def export_csv(session: Session, month: str, *, vat_rate: Decimal) -> str:
    """The month's ledger as CSV text (see the module docstring for the columns)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for line in export_lines(session, month):
        writer.writerow(
            [
                line.day.isoformat(),
                line.month,
                line.transaction_id,
                line.kind,
                line.account_code,
                line.account_name,
                line.debit,
                line.credit,
                line.vat if line.vat is not None else "",
                vat_rate if line.vat is not None else "",
                line.reference,
                line.memo,
            ]
        )
    return buffer.getvalue()
