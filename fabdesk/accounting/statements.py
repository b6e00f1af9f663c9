"""A maker's monthly statement: each session's cost, what cheques paid, what is owed; and a
maker's recent charges, newest first (the kiosk's Me screen)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.accounting._documents import Chart, Document, euros, to_csv, to_pdf
from fabdesk.accounting.disputes import charge_corrected, charge_disputed, charge_reversed
from fabdesk.accounting.ledger import find_account, parse_month
from fabdesk.errors import NotFound
from fabdesk.models import (
    AccountKind,
    Equipment,
    LedgerPosting,
    LedgerTransaction,
    Maker,
    TransactionKind,
    UsageCharge,
)

__all__ = [
    "ChargeLine",
    "ChargeState",
    "Statement",
    "StatementLine",
    "charge_lines",
    "maker_statement",
    "recent_charges",
    "statement_csv",
    "statement_pdf",
]


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


class ChargeState(StrEnum):
    CHARGED = "charged"
    DISPUTED = "disputed"
    """Under an open dispute: a manager will accept or refuse it."""
    CANCELLED = "cancelled"
    """Reversed (an accepted dispute) or replaced by a corrected charge: it no longer counts."""


@dataclass(frozen=True)
class ChargeLine:
    """One usage charge as a maker reads it: what it cost and what paid it."""

    charge_id: int
    maker_id: int | None
    occurred_on: date
    machine: str
    billed_minutes: int
    total_cents: int
    cheque_cents: int
    """Paid from the maker's cheques."""
    maker_cents: int
    """Billed to the maker."""
    state: ChargeState


def _charge_lines(session: Session, *where: sa.ColumnElement[bool], limit: int) -> list[ChargeLine]:
    rows = session.exec(
        select(
            UsageCharge,
            Equipment.name,
            charge_reversed() | charge_corrected(),
            charge_disputed(),
        )
        .join(Equipment, col(Equipment.id) == UsageCharge.equipment_id)
        .where(*where)
        .order_by(col(UsageCharge.occurred_on).desc(), col(UsageCharge.id).desc())
        .limit(limit)
    ).all()
    return [
        ChargeLine(
            charge_id=charge.id or 0,
            maker_id=charge.maker_id,
            occurred_on=charge.occurred_on,
            machine=machine,
            billed_minutes=charge.billed_minutes,
            total_cents=charge.total_cents,
            cheque_cents=charge.cheque_cents,
            maker_cents=charge.maker_cents,
            state=(
                ChargeState.CANCELLED
                if cancelled
                else ChargeState.DISPUTED
                if disputed
                else ChargeState.CHARGED
            ),
        )
        for charge, machine, cancelled, disputed in rows
    ]


def recent_charges(session: Session, maker_id: int, *, limit: int = 10) -> list[ChargeLine]:
    """A maker's last `limit` usage charges, newest first, each with what paid it and whether it
    still counts (cancelled by a reversal or a correction, or under dispute)."""
    return _charge_lines(session, col(UsageCharge.maker_id) == maker_id, limit=limit)


def charge_lines(session: Session, charge_ids: Sequence[int]) -> dict[int, ChargeLine]:
    """The charges of these ids, by id (for a list of disputes)."""
    if not charge_ids:
        return {}
    lines = _charge_lines(
        session, col(UsageCharge.id).in_(list(charge_ids)), limit=len(set(charge_ids))
    )
    return {line.charge_id: line for line in lines}
