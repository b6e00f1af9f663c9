"""Invoices and credit notes: numbered without gaps per year and series, each covering ledger
transactions once (see fabdesk.accounting.invoices)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models import ledger, makers  # noqa: F401  (its foreign keys' tables)


class Invoice(SQLModel, table=True):
    """An invoice (series `F`) or a credit note (series `C`) of a maker or an organisation.

    Amounts are the ledger's, in cents: `total` VAT included, `vat`, what maker cheques paid
    (`cheque`) and what the customer pays (`to_pay`); a credit note's amounts are negative."""

    __tablename__ = "invoices"
    __table_args__ = (sa.UniqueConstraint("series", "year", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    series: str = Field(max_length=8)
    year: int
    number: int
    credit_note: bool = False
    maker_id: int | None = Field(default=None, foreign_key="makers.id", index=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    month: str = Field(max_length=7)
    issued_on: date
    due_on: date
    communication: str = Field(max_length=12, unique=True)
    """The structured communication's twelve digits (OGM-VCS: ten, then their mod 97)."""
    credits_invoice_id: int | None = Field(default=None, foreign_key="invoices.id")
    """The invoice a credit note corrects."""
    total_cents: int = Field(sa_type=sa.BigInteger)
    vat_cents: int = Field(sa_type=sa.BigInteger)
    cheque_cents: int = Field(sa_type=sa.BigInteger)
    to_pay_cents: int = Field(sa_type=sa.BigInteger)

    @property
    def document_number(self) -> str:
        """`F2026-00001`: series, year and number, as printed."""
        return document_number(self.series, self.year, self.number)


def document_number(series: str, year: int, number: int) -> str:
    """`F2026-00001`: series, year and number, as printed."""
    return f"{series}{year}-{number:05d}"


class InvoiceItem(SQLModel, table=True):
    """A ledger transaction an invoice covers (a transaction is invoiced once)."""

    __tablename__ = "invoice_items"

    transaction_id: int = Field(foreign_key="ledger_transactions.id", primary_key=True)
    invoice_id: int = Field(foreign_key="invoices.id", index=True)


class InvoiceCounter(SQLModel, table=True):
    """The last number given in a series and year: taken under a row lock, so numbers have no
    gaps and no doubles even when invoices are issued at the same time."""

    __tablename__ = "invoice_counters"

    series: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    last_number: int = 0


class BankTransaction(SQLModel, table=True):
    """A line of a bank statement (CODA or camt.053), recorded once by the bank's reference, and
    what it was matched to: an invoice (and the payment posted for it), or nothing yet."""

    __tablename__ = "bank_transactions"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=80, unique=True)
    """The bank's own reference of the transaction (with the account it was booked on)."""
    booked_on: date
    amount_cents: int = Field(sa_type=sa.BigInteger)
    """Positive: money received; negative: money sent."""
    counterparty_name: str = Field(default="", max_length=140)
    counterparty_account: str = Field(default="", max_length=40)
    communication: str = Field(default="", max_length=140)
    """The structured communication's twelve digits, or the free text."""
    invoice_id: int | None = Field(default=None, foreign_key="invoices.id", index=True)
    matched_by: str = Field(default="", max_length=16)
    """`communication`, `amount+name`, or empty: not matched (managers look at these)."""
