"""Invoices and credit notes from a customer's month of the ledger (Belgian rules).

`issue_invoices` bills what a maker or an organisation has not been invoiced yet in a month:
usage charges, missed bookings, material sales and their reversals. A reversal of something
already invoiced goes on a **credit note that names that invoice**; everything else on one
invoice. Each document takes the next number of its series and year (`F2026-00001`,
`C2026-00001`) from a counter row updated under its lock in the same transaction, so numbers
have no gaps and no doubles, even when two managers issue at once: a rolled-back issue gives its
number back. Each carries a structured communication (`+++123/4567/89012+++`, OGM-VCS: ten
digits, then their remainder mod 97, by python-stdnum) that the bank import matches payments by.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select
from stdnum.be import ogm_vcs

from fabdesk.accounting.months import parse_month
from fabdesk.accounting.statements import (
    Statement,
    StatementLine,
    maker_statement,
    organisation_statement,
)
from fabdesk.errors import InvalidValue, NotFound
from fabdesk.models import (
    Invoice,
    InvoiceCounter,
    InvoiceItem,
    Maker,
    Organisation,
    id_of,
)
from fabdesk.settings import InvoicingSettings

__all__ = [
    "InvoiceView",
    "find_invoice",
    "format_communication",
    "invoice_view",
    "issue_invoices",
    "issue_month",
    "next_number",
]

log = logging.getLogger(__name__)

_BILLED_KINDS = ("charge", "material_sale", "reversal")
_COUNTERS = InvoiceCounter.__table__  # type: ignore[attr-defined]


def format_communication(digits: str) -> str:
    """`010806817183` -> `+++010/8068/17183+++` (checked)."""
    return f"+++{ogm_vcs.format(ogm_vcs.validate(digits))}+++"


def _communication(year: int, credit_note: bool, number: int) -> str:
    """Ten digits that say the document (year, 1 invoice / 2 credit note, number), then their
    OGM-VCS check digits."""
    base = f"{year % 100:02d}{2 if credit_note else 1}{number:07d}"
    return base + ogm_vcs.calc_check_digits(base)


def next_number(session: Session, series: str, year: int) -> int:
    """The next number of a series in a year, without gaps: the counter row is created once and
    then incremented under its row lock (PostgreSQL) or the write lock (SQLite)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    session.execute(
        insert(_COUNTERS)
        .values(series=series, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["series", "year"])
    )
    number = session.execute(
        sa.update(_COUNTERS)
        .where(_COUNTERS.c.series == series, _COUNTERS.c.year == year)
        .values(last_number=_COUNTERS.c.last_number + 1)
        .returning(_COUNTERS.c.last_number)
    ).scalar_one()
    return int(number)


def _check_settings(settings: InvoicingSettings) -> None:
    from stdnum import iban
    from stdnum.be import vat

    missing = [
        name
        for name in ("legal_name", "address", "vat_number", "iban")
        if not getattr(settings, name).strip()
    ]
    if missing:
        raise InvalidValue(
            "Set the lab's {fields} (settings: accounting.invoicing) before issuing invoices.",
            fields=", ".join(missing),
            error_code="invoicing_settings",
        )
    if not vat.is_valid(settings.vat_number) or not iban.is_valid(settings.iban):
        raise InvalidValue(
            "The lab's VAT number {vat} or IBAN {iban} is not valid (accounting.invoicing).",
            vat=settings.vat_number,
            iban=settings.iban,
            error_code="invoicing_settings",
        )


def issue_invoices(
    session: Session,
    *,
    month: str,
    today: date,
    settings: InvoicingSettings,
    maker_number: str | None = None,
    organisation_code: str | None = None,
) -> list[Invoice]:
    """Invoice (and credit) what one customer (a maker by member number, or an organisation by
    code) was not invoiced yet in `month`; [] when there is nothing to bill. Safe to run again."""
    _check_settings(settings)
    if (maker_number is None) == (organisation_code is None):
        raise InvalidValue("Invoice one maker or one organisation.", error_code="customer")
    statement = (
        maker_statement(session, maker_number, month)
        if maker_number is not None
        else organisation_statement(session, organisation_code or "", month)
    )
    maker_id = organisation_id = None
    if maker_number is not None:
        maker_id = session.exec(select(Maker.id).where(Maker.member_number == maker_number)).one()
    else:
        organisation_id = session.exec(
            select(Organisation.id).where(Organisation.code == statement.member_number)
        ).one()
    lines = [line for line in statement.lines if line.kind in _BILLED_KINDS]
    invoiced = _invoiced(session, [line.transaction_id for line in lines])
    lines = [line for line in lines if line.transaction_id not in invoiced]
    credits: dict[int, list[StatementLine]] = {}
    plain: list[StatementLine] = []
    for line in lines:
        earlier = invoiced.get(line.reverses_id) if line.reverses_id is not None else None
        if earlier is not None:
            credits.setdefault(earlier, []).append(line)
        else:
            plain.append(line)
    groups: list[tuple[int | None, list[StatementLine]]] = [(None, plain)] if plain else []
    groups += sorted(credits.items())
    issued: list[Invoice] = []
    for credited, group in groups:
        credit_note = credited is not None
        series = settings.credit_note_series if credit_note else settings.invoice_series
        number = next_number(session, series, today.year)
        invoice = Invoice(
            series=series,
            year=today.year,
            number=number,
            credit_note=credit_note,
            maker_id=maker_id,
            organisation_id=organisation_id,
            month=statement.month,
            issued_on=today,
            due_on=today + timedelta(days=settings.payment_days),
            communication=_communication(today.year, credit_note, number),
            credits_invoice_id=credited,
            total_cents=sum(line.total_cents for line in group),
            vat_cents=sum(line.vat_cents for line in group),
            cheque_cents=sum(line.cheque_cents for line in group),
            to_pay_cents=sum(line.maker_cents for line in group),
        )
        session.add(invoice)
        session.flush()
        session.add_all(
            InvoiceItem(transaction_id=line.transaction_id, invoice_id=id_of(invoice))
            for line in group
        )
        session.flush()
        log.info("invoice_issued", extra={"invoice_id": invoice.id, "cents": invoice.total_cents})
        issued.append(invoice)
    return issued


def issue_month(
    session: Session, *, month: str, today: date, settings: InvoicingSettings
) -> list[Invoice]:
    """Invoice every maker and organisation with something not invoiced yet in `month`."""
    from fabdesk.models import AccountKind, LedgerAccount, LedgerPosting, LedgerTransaction

    month = parse_month(month)
    not_invoiced = ~sa.exists().where(col(InvoiceItem.transaction_id) == col(LedgerTransaction.id))
    makers = session.exec(
        select(Maker.member_number)
        .join(LedgerTransaction, col(LedgerTransaction.maker_id) == col(Maker.id))
        .where(
            LedgerTransaction.month == month,
            col(LedgerTransaction.kind).in_(_BILLED_KINDS),
            not_invoiced,
        )
        .distinct()
        .order_by(col(Maker.member_number))
    ).all()
    organisations = session.exec(
        select(Organisation.code)
        .join(
            LedgerAccount,
            (col(LedgerAccount.owner_id) == col(Organisation.id))
            & (LedgerAccount.kind == AccountKind.ORGANISATION),
        )
        .join(LedgerPosting, col(LedgerPosting.account_id) == col(LedgerAccount.id))
        .join(LedgerTransaction, col(LedgerTransaction.id) == col(LedgerPosting.transaction_id))
        .where(
            LedgerPosting.month == month,
            col(LedgerTransaction.kind).in_(_BILLED_KINDS),
            not_invoiced,
        )
        .distinct()
        .order_by(col(Organisation.code))
    ).all()
    issued: list[Invoice] = []
    for number in makers:
        issued += issue_invoices(
            session, month=month, today=today, settings=settings, maker_number=number
        )
    for code in organisations:
        issued += issue_invoices(
            session, month=month, today=today, settings=settings, organisation_code=code
        )
    return issued


def _invoiced(session: Session, transaction_ids: list[int]) -> dict[int, int]:
    """Which of these transactions (and of those they reverse) are on an invoice, and which."""
    if not transaction_ids:
        return {}
    from fabdesk.models import LedgerTransaction

    reversed_ids = select(LedgerTransaction.reverses_id).where(
        col(LedgerTransaction.id).in_(transaction_ids)
    )
    rows = session.exec(
        select(InvoiceItem.transaction_id, InvoiceItem.invoice_id).where(
            col(InvoiceItem.transaction_id).in_(transaction_ids)
            | col(InvoiceItem.transaction_id).in_(reversed_ids)
        )
    ).all()
    return {int(transaction): int(invoice) for transaction, invoice in rows}


def find_invoice(session: Session, document_number: str) -> Invoice:
    """An invoice or credit note by its printed number, e.g. `F2026-00001`."""
    text = document_number.strip().upper()
    found = None
    if "-" in text:
        head, _, tail = text.partition("-")
        series, year = head.rstrip("0123456789"), head[len(head.rstrip("0123456789")) :]
        if year.isdigit() and tail.isdigit():
            found = session.exec(
                select(Invoice).where(
                    Invoice.series == series, Invoice.year == int(year), Invoice.number == int(tail)
                )
            ).first()
    if found is None:
        raise NotFound(
            "No invoice or credit note has the number {number!r} (e.g. F2026-00001).",
            number=document_number,
            error_code="invoice_not_found",
        )
    return found


@dataclass(frozen=True)
class InvoiceView:
    """An invoice with what its documents print: the customer and its lines."""

    invoice: Invoice
    customer_name: str
    customer_address: str
    customer_enterprise_number: str | None
    customer_code: str
    lines: list[StatementLine]
    credited_number: str | None
    """The number of the invoice a credit note corrects."""
    language: str | None = None
    """The maker's language (fr, nl, en); None for an organisation, which has none on record."""


def invoice_view(session: Session, invoice: Invoice) -> InvoiceView:
    """The invoice's customer and lines (read back from the statement of its month)."""
    covered = set(
        session.exec(
            select(InvoiceItem.transaction_id).where(InvoiceItem.invoice_id == invoice.id)
        ).all()
    )
    statement: Statement
    number: str | None
    if invoice.organisation_id is not None:
        organisation = session.get(Organisation, invoice.organisation_id)
        assert organisation is not None
        statement = organisation_statement(session, organisation.code, invoice.month)
        name, address, number = (
            organisation.name,
            organisation.address,
            organisation.enterprise_number,
        )
    else:
        maker = session.get(Maker, invoice.maker_id)
        assert maker is not None
        statement = maker_statement(session, maker.member_number, invoice.month)
        name, address, number = maker.name, "", maker.enterprise_number
    credited = (
        session.get(Invoice, invoice.credits_invoice_id) if invoice.credits_invoice_id else None
    )
    return InvoiceView(
        invoice=invoice,
        customer_name=name,
        customer_address=address,
        customer_enterprise_number=number,
        customer_code=statement.member_number,
        lines=[line for line in statement.lines if line.transaction_id in covered],
        credited_number=credited.document_number if credited else None,
        language=statement.language,
    )
