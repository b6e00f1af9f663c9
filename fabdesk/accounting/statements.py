"""A maker's monthly statement: each session's cost, what cheques paid, what is owed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, select

from fabdesk.accounting._documents import Chart, Document, euros, to_csv, to_pdf
from fabdesk.accounting.ledger import find_account, parse_month
from fabdesk.errors import NotFound
from fabdesk.models import (
    AccountKind,
    LedgerPosting,
    LedgerTransaction,
    Maker,
    TransactionKind,
    UsageCharge,
)

__all__ = ["Statement", "StatementLine", "maker_statement", "statement_csv", "statement_pdf"]


@dataclass(frozen=True)
class StatementLine:
    day: date
    kind: str
    description: str
    minutes: int
    material_grams: float
    total_cents: int
    vat_cents: int
    cheque_cents: int
    maker_cents: int
    """What this line adds to what the maker owes."""


@dataclass(frozen=True)
class Statement:
    member_number: str
    name: str
    month: str
    vat_rate: Decimal
    opening_cents: int
    lines: list[StatementLine]

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + sum(line.maker_cents for line in self.lines)


def maker_statement(
    session: Session, member_number: str, month: str, *, vat_rate: Decimal = Decimal("0.21")
) -> Statement:
    """The statement of a maker (by member number) for a month of the ledger."""
    month = parse_month(month)
    maker = session.exec(select(Maker).where(Maker.member_number == member_number)).first()
    if maker is None or maker.id is None:
        raise NotFound("No maker has the member number {number}.", number=member_number)
    account = find_account(session, AccountKind.MAKER, maker.id)
    transactions = LedgerTransaction.__table__  # type: ignore[attr-defined]
    postings = LedgerPosting.__table__  # type: ignore[attr-defined]
    charges = UsageCharge.__table__  # type: ignore[attr-defined]
    reversed_charges = charges.alias("reversed_charges")
    maker_postings = (
        sa.select(postings.c.transaction_id, sa.func.sum(postings.c.amount_cents).label("amount"))
        .where(postings.c.account_id == (account or -1))
        .group_by(postings.c.transaction_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(
            transactions.c.occurred_on,
            transactions.c.kind,
            transactions.c.memo,
            sa.func.coalesce(maker_postings.c.amount, 0).label("maker"),
            sa.func.coalesce(charges.c.billed_minutes, -reversed_charges.c.billed_minutes, 0),
            sa.func.coalesce(charges.c.material_grams, -reversed_charges.c.material_grams, 0),
            sa.func.coalesce(charges.c.total_cents, -reversed_charges.c.total_cents, 0),
            sa.func.coalesce(charges.c.vat_cents, -reversed_charges.c.vat_cents, 0),
            sa.func.coalesce(charges.c.cheque_cents, -reversed_charges.c.cheque_cents, 0),
        )
        .select_from(
            transactions.outerjoin(
                maker_postings, maker_postings.c.transaction_id == transactions.c.id
            )
            .outerjoin(charges, charges.c.transaction_id == transactions.c.id)
            .outerjoin(
                reversed_charges, reversed_charges.c.transaction_id == transactions.c.reverses_id
            )
        )
        .where(
            transactions.c.maker_id == maker.id,
            transactions.c.month == month,
            transactions.c.kind.in_(
                [TransactionKind.CHARGE, TransactionKind.REVERSAL, TransactionKind.PAYMENT]
            ),
        )
        .order_by(transactions.c.occurred_on, transactions.c.id)
    ).all()
    opening = 0
    if account is not None:
        opening = int(
            session.execute(
                sa.select(sa.func.coalesce(sa.func.sum(postings.c.amount_cents), 0)).where(
                    postings.c.account_id == account, postings.c.month < month
                )
            ).scalar_one()
        )
    lines = [
        StatementLine(
            day=row[0],
            kind=str(row[1].value if hasattr(row[1], "value") else row[1]),
            description=row[2],
            minutes=int(row[4]),
            material_grams=float(row[5]),
            total_cents=int(row[6]),
            vat_cents=int(row[7]),
            cheque_cents=int(row[8]),
            maker_cents=int(row[3]),
        )
        for row in rows
    ]
    return Statement(maker.member_number, maker.name, month, vat_rate, opening, lines)


def _document(statement: Statement) -> Document:
    rate = f"{statement.vat_rate * 100:.0f} %"
    rows = [
        [
            line.day.isoformat(),
            line.kind,
            line.description,
            str(line.minutes),
            f"{line.material_grams:.1f}",
            euros(line.total_cents),
            euros(line.vat_cents),
            euros(line.cheque_cents),
            euros(line.maker_cents),
        ]
        for line in statement.lines
    ]
    totals = [
        sum(line.total_cents for line in statement.lines),
        sum(line.vat_cents for line in statement.lines),
        sum(line.cheque_cents for line in statement.lines),
        sum(line.maker_cents for line in statement.lines),
    ]
    rows.append(["", "total", "", "", "", *(euros(t) for t in totals)])
    by_day: dict[str, int] = {}
    for line in statement.lines:
        by_day[line.day.isoformat()[5:]] = (
            by_day.get(line.day.isoformat()[5:], 0) + line.total_cents
        )
    return Document(
        title=f"Statement {statement.month}: {statement.member_number} {statement.name}",
        header=[
            "date",
            "kind",
            "description",
            "minutes",
            "material g",
            "total EUR",
            f"VAT {rate} EUR",
            "cheques EUR",
            "you pay EUR",
        ],
        rows=rows,
        notes=[
            f"Owed at the start of the month: EUR {euros(statement.opening_cents)}. "
            f"Owed at its end: EUR {euros(statement.closing_cents)}.",
            f"Prices include VAT at {rate}; each line is rounded once to the cent.",
        ],
        chart=Chart(
            "Usage charged per day",
            list(by_day),
            {"EUR": [cents / 100 for cents in by_day.values()]},
        )
        if len(by_day) > 1
        else None,
    )


def statement_csv(statement: Statement) -> str:
    return to_csv(_document(statement))


def statement_pdf(statement: Statement) -> bytes:
    return to_pdf(_document(statement))
