"""The accountant's journal of a month: the ledger mapped to the Belgian minimum chart of accounts.

One line per posting, with: journal code (sales for charges and sales, credit notes for
reversals, bank for payments, miscellaneous for cheques issued and expired), document number
(the invoice or credit note that covers the transaction, else the ledger's `T<id>`), booking
date (in the month the transaction is booked in: a late session for a closed month is booked in
the open month, on the day it was posted), document date (the real date), account number
(settings: accounting.journal.accounts), third party (member number, organisation, cheque,
programme or co-investor code), debit, credit, and **on VAT lines only** the VAT code and the
VAT base. The export refuses to write a journal whose debits and credits differ.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from fabdesk.accounting.months import local_day, month_of, next_month, parse_month
from fabdesk.errors import LedgerImbalance
from fabdesk.models import (
    AccountKind,
    Investor,
    Invoice,
    InvoiceItem,
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
    Maker,
    Organisation,
    TransactionKind,
)
from fabdesk.models.invoices import document_number
from fabdesk.settings import JournalSettings

__all__ = ["COLUMNS", "JournalLine", "journal_csv", "journal_lines"]

COLUMNS = (
    "journal",
    "document",
    "booking_date",
    "document_date",
    "account",
    "third_party",
    "description",
    "debit",
    "credit",
    "vat_code",
    "vat_base",
)

_JOURNAL_OF_KIND = {
    TransactionKind.CHARGE: "sales",
    TransactionKind.MATERIAL_SALE: "sales",
    TransactionKind.REVERSAL: "credit_notes",
    TransactionKind.PAYMENT: "bank",
    TransactionKind.CHEQUE_ISSUE: "miscellaneous",
    TransactionKind.CHEQUE_EXPIRY: "miscellaneous",
}

_T = LedgerTransaction.__table__  # type: ignore[attr-defined]
_P = LedgerPosting.__table__  # type: ignore[attr-defined]
_A = LedgerAccount.__table__  # type: ignore[attr-defined]
_M = Maker.__table__  # type: ignore[attr-defined]
_O = Organisation.__table__  # type: ignore[attr-defined]
_I = Investor.__table__  # type: ignore[attr-defined]
_IV = Invoice.__table__  # type: ignore[attr-defined]
_II = InvoiceItem.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class JournalLine:
    journal: str
    document: str
    booking_date: date
    document_date: date
    account: str
    third_party: str
    description: str
    debit_cents: int
    credit_cents: int
    vat_code: str
    vat_base_cents: int | None


def _booking_date(month: str, occurred_on: date, booked_on: date) -> date:
    """The real date when it lies in the booked month; else the posting's day, kept inside the
    booked month."""
    if month_of(occurred_on) == month:
        return occurred_on
    start = date.fromisoformat(f"{month}-01")
    end = date.fromisoformat(f"{next_month(month)}-01")
    return min(max(booked_on, start), end - timedelta(days=1))


def _documents(session: Session, month: str) -> dict[int, str]:
    """The invoice or credit note number of each transaction of the month that one covers."""
    rows = session.execute(
        sa.select(_II.c.transaction_id, _IV.c.series, _IV.c.year, _IV.c.number)
        .select_from(
            _II.join(_IV, _IV.c.id == _II.c.invoice_id).join(_T, _T.c.id == _II.c.transaction_id)
        )
        .where(_T.c.month == month)
    ).all()
    return {
        int(transaction): document_number(series, int(year), int(number))
        for transaction, series, year, number in rows
    }


def journal_lines(
    session: Session, month: str, settings: JournalSettings, *, zone: ZoneInfo
) -> list[JournalLine]:
    """Every posting booked in `month` as a journal line (see the module docstring); a
    posting's day is its booking's in `zone` (the ledger's)."""
    month = parse_month(month)
    documents = _documents(session, month)
    third_party = sa.case(
        (_A.c.kind == AccountKind.MAKER, _M.c.member_number),
        (_A.c.kind == AccountKind.ORGANISATION, _O.c.code),
        (_A.c.kind == AccountKind.INVESTOR, _I.c.code),
        else_=_A.c.name,
    )
    rows = session.execute(
        sa.select(
            _T.c.id,
            _T.c.kind,
            _T.c.occurred_on,
            _T.c.booked_at,
            _T.c.memo,
            _A.c.kind,
            third_party,
            _P.c.amount_cents,
        )
        .select_from(
            _P.join(_T, _T.c.id == _P.c.transaction_id)
            .join(_A, _A.c.id == _P.c.account_id)
            .outerjoin(_M, sa.and_(_A.c.kind == AccountKind.MAKER, _M.c.id == _A.c.owner_id))
            .outerjoin(_O, sa.and_(_A.c.kind == AccountKind.ORGANISATION, _O.c.id == _A.c.owner_id))
            .outerjoin(_I, sa.and_(_A.c.kind == AccountKind.INVESTOR, _I.c.id == _A.c.owner_id))
        )
        .where(_T.c.month == month)
        .order_by(_T.c.id, _P.c.id)
    ).all()
    vat_base: dict[int, int] = {}
    for transaction, _kind, _on, _at, _memo, account_kind, _third, amount in rows:
        if account_kind not in (AccountKind.VAT, AccountKind.MAKER, AccountKind.ORGANISATION,
                                AccountKind.CHEQUE, AccountKind.BANK):  # fmt: skip
            # The sale's net: what is credited besides VAT (revenue, material, co-investors).
            vat_base[transaction] = vat_base.get(transaction, 0) - amount
    lines = []
    for transaction, kind, occurred_on, booked_at, memo, account_kind, third, amount in rows:
        is_vat = account_kind == AccountKind.VAT
        lines.append(
            JournalLine(
                journal=settings.journals[_JOURNAL_OF_KIND[TransactionKind(kind)]],
                document=documents.get(transaction, f"T{transaction}"),
                booking_date=_booking_date(month, occurred_on, local_day(booked_at, zone)),
                document_date=occurred_on,
                account=settings.accounts[AccountKind(account_kind).value],
                third_party=str(third or ""),
                description=memo,
                debit_cents=max(amount, 0),
                credit_cents=max(-amount, 0),
                vat_code=settings.vat_code if is_vat else "",
                vat_base_cents=vat_base.get(transaction, 0) if is_vat else None,
            )
        )
    return lines


def _number(cents: int, comma: bool) -> str:
    text = str((Decimal(cents) / 100).quantize(Decimal("0.01")))
    return text.replace(".", ",") if comma else text


def journal_csv(
    session: Session,
    month: str,
    settings: JournalSettings,
    *,
    zone: ZoneInfo,
    belgian: bool = False,
) -> str:
    """The journal as CSV: `,` and a decimal point, or with `belgian` `;` and a decimal comma.
    Raises LedgerImbalance (and writes nothing) when its debits and credits differ."""
    lines = journal_lines(session, month, settings, zone=zone)
    debits = sum(line.debit_cents for line in lines)
    credits = sum(line.credit_cents for line in lines)
    if debits != credits:
        raise LedgerImbalance(
            "The journal of {month} does not balance: debits {debits} != credits {credits} "
            "cents; run `fabdesk ledger check`.",
            month=month,
            debits=debits,
            credits=credits,
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if belgian else ",", lineterminator="\n")
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow(
            [
                line.journal,
                line.document,
                line.booking_date.isoformat(),
                line.document_date.isoformat(),
                line.account,
                line.third_party,
                line.description,
                _number(line.debit_cents, belgian),
                _number(line.credit_cents, belgian),
                line.vat_code,
                _number(line.vat_base_cents, belgian) if line.vat_base_cents is not None else "",
            ]
        )
    return buffer.getvalue()
