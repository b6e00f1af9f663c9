"""Monthly statements of a maker or of a paying organisation: each session's cost, material
bought, what cheques paid, what is owed; and a maker's recent charges, newest first (the kiosk's
Me screen)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.accounting._documents import (
    DATA,
    Chart,
    Document,
    Forms,
    euros,
    local_forms,
    to_csv,
    to_pdf,
)
from fabdesk.accounting._line_words import KINDS, missed_slots, what_line_is
from fabdesk.accounting.disputes import charge_corrected, charge_disputed, charge_reversed
from fabdesk.accounting.ledger import find_account
from fabdesk.accounting.months import parse_month
from fabdesk.errors import NotFound
from fabdesk.identifiers import format_enterprise_number
from fabdesk.models import (
    AccountKind,
    Equipment,
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
    Maker,
    MaterialSale,
    Organisation,
    SheetMaterial,
    Site,
    TransactionKind,
    UsageCharge,
    UsageSession,
)

__all__ = [
    "ChargeLine",
    "ChargeState",
    "Statement",
    "StatementLine",
    "charge_lines",
    "maker_statement",
    "organisation_statement",
    "recent_charges",
    "statement_csv",
    "statement_document",
    "statement_pdf",
]


@dataclass(frozen=True)
class StatementLine:
    day: date
    kind: str
    what: str
    """What the line is, as a msgid (`payment {reference}`), said by `describe`: rendered from
    the transaction's kind and references when read, never the ledger's stored memo."""
    what_values: dict[str, str | date]
    machine: str
    """The machine's name (usage, and material sold for a job on it); empty otherwise."""
    start: str
    """Local start and end of the usage session (`HH:MM`, in `timezone`); empty otherwise."""
    end: str
    timezone: str
    """The zone of `start` and `end`: that of the machine's site (empty without a machine)."""
    used_by: str
    """Who used the machine (member number and name): said on an organisation's statement."""
    transaction_id: int
    reverses_id: int | None
    """The transaction a reversal reverses."""
    hourly_cents: int | None
    """The machine's rate per hour (VAT included) of a usage line."""
    units: int | None
    """How many units of sheet material a sale line sold, at `unit_cents` each."""
    unit_cents: int | None
    minutes: int
    material_grams: float
    total_cents: int
    vat_cents: int
    cheque_cents: int
    maker_cents: int
    """What this line adds to what the maker owes."""

    def price(self, amount: Callable[[int], str]) -> str:
        """The price the line was computed from, VAT included, its amounts said by `amount`:
        `30.00/h`, `3 x 4.84`; empty for a line without one."""
        if self.hourly_cents is not None:
            return f"{amount(self.hourly_cents)}/h"
        if self.units is not None and self.unit_cents is not None:
            return f"{self.units} x {amount(self.unit_cents)}"
        return ""

    @property
    def unit_price(self) -> str:
        """The price as data: `30.00/h`, `3 x 4.84`."""
        return self.price(euros)

    def describe(self, say: Callable[[str], str], day: Callable[[date], str]) -> str:
        """What the line is, in the words of `say` and days said by `day`."""
        values = {k: day(v) if isinstance(v, date) else v for k, v in self.what_values.items()}
        return say(self.what).format(**values)

    @property
    def description(self) -> str:
        """What the line is, as data (English, ISO days): `payment BANK-1`."""
        return self.describe(str, date.isoformat)


@dataclass(frozen=True)
class Statement:
    member_number: str
    name: str
    month: str
    vat_rate: Decimal
    opening_cents: int
    lines: list[StatementLine]
    enterprise_number: str | None = None
    """An organisation's company number (printed on its statement); None for a maker."""
    language: str | None = None
    """The maker's language (fr, nl, en); None for an organisation, which has none on record."""

    @property
    def movements_cents(self) -> int:
        return sum(line.maker_cents for line in self.lines)

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + self.movements_cents


def maker_statement(
    session: Session, member_number: str, month: str, *, vat_rate: Decimal = Decimal("0.21")
) -> Statement:
    """The statement of a maker (by member number) for a month of the ledger: usage charged to
    the maker (not what an organisation paid), sheet material bought, reversals, payments."""
    month = parse_month(month)
    maker = session.exec(select(Maker).where(Maker.member_number == member_number)).first()
    if maker is None or maker.id is None:
        raise NotFound("No maker has the member number {number}.", number=member_number)
    account = find_account(session, AccountKind.MAKER, maker.id)
    lines = _lines(
        session,
        account,
        month,
        sa.and_(
            _TRANSACTIONS.c.maker_id == maker.id,
            _TRANSACTIONS.c.kind.in_(
                [
                    TransactionKind.CHARGE,
                    TransactionKind.REVERSAL,
                    TransactionKind.PAYMENT,
                    TransactionKind.MATERIAL_SALE,
                ]
            ),
            sa.func.coalesce(_CHARGES.c.organisation_id, _REVERSED.c.organisation_id).is_(None),
        ),
    )
    opening = _opening(session, account, month)
    number, name = maker.member_number, maker.name
    return Statement(number, name, month, vat_rate, opening, lines, language=maker.language)


def organisation_statement(
    session: Session, code: str, month: str, *, vat_rate: Decimal = Decimal("0.21")
) -> Statement:
    """The statement of a paying organisation (by code) for a month: the usage its makers booked
    on its behalf, with its enterprise number."""
    month = parse_month(month)
    organisation = session.exec(
        select(Organisation).where(Organisation.code == code.strip().upper())
    ).first()
    if organisation is None or organisation.id is None:
        raise NotFound(
            "There is no organisation {code!r}.", code=code, error_code="organisation_not_found"
        )
    account = find_account(session, AccountKind.ORGANISATION, organisation.id)
    lines = _lines(session, account, month, _MOVED.c.transaction_id.is_not(None))
    opening = _opening(session, account, month)
    return Statement(
        organisation.code,
        organisation.name,
        month,
        vat_rate,
        opening,
        lines,
        enterprise_number=organisation.enterprise_number,
    )


_TRANSACTIONS = LedgerTransaction.__table__  # type: ignore[attr-defined]
_POSTINGS = LedgerPosting.__table__  # type: ignore[attr-defined]
_CHARGES = UsageCharge.__table__  # type: ignore[attr-defined]
_REVERSED = _CHARGES.alias("reversed_charges")
_SALES = MaterialSale.__table__  # type: ignore[attr-defined]
_REVERSED_SALE = _SALES.alias("reversed_sales")
_USAGE = UsageSession.__table__  # type: ignore[attr-defined]
_EQUIPMENT = Equipment.__table__  # type: ignore[attr-defined]
_MAKERS = Maker.__table__  # type: ignore[attr-defined]
_SITES = Site.__table__  # type: ignore[attr-defined]
_ORIGINAL = _TRANSACTIONS.alias("original_transactions")
_MATERIALS = SheetMaterial.__table__  # type: ignore[attr-defined]
_ORGANISATIONS = Organisation.__table__  # type: ignore[attr-defined]
_MOVED = (
    sa.select(_POSTINGS.c.transaction_id, sa.func.sum(_POSTINGS.c.amount_cents).label("amount"))
    .where(_POSTINGS.c.account_id == sa.bindparam("account"))
    .group_by(_POSTINGS.c.transaction_id)
    .subquery("moved")
)
"""What each transaction moved on one account (`account` bound at execution)."""
_MISSED = _TRANSACTIONS.c.key.like("missed:%")
"""A missed booking's charge (fabdesk.accounting.missed): no usage detail, its VAT posted."""
_VAT_ACCOUNTS = LedgerAccount.__table__  # type: ignore[attr-defined]
_MISSED_VAT = (
    sa.select(-sa.func.sum(_POSTINGS.c.amount_cents))
    .select_from(_POSTINGS.join(_VAT_ACCOUNTS, _VAT_ACCOUNTS.c.id == _POSTINGS.c.account_id))
    .where(
        _POSTINGS.c.transaction_id == _TRANSACTIONS.c.id,
        _VAT_ACCOUNTS.c.kind == AccountKind.VAT,
    )
    .scalar_subquery()
)


def _lines(
    session: Session, account: int | None, month: str, where: sa.ColumnElement[bool]
) -> list[StatementLine]:
    """A statement's lines: the month's transactions matching `where`, with what they moved on
    `account` and the detail of their charge (or of the charge they reverse) or sale."""
    rows = session.execute(
        sa.select(
            _TRANSACTIONS.c.occurred_on,
            _TRANSACTIONS.c.kind,
            _TRANSACTIONS.c.key,
            sa.func.coalesce(_MOVED.c.amount, 0).label("moved"),
            sa.func.coalesce(_CHARGES.c.billed_minutes, -_REVERSED.c.billed_minutes, 0),
            sa.func.coalesce(_CHARGES.c.material_grams, -_REVERSED.c.material_grams, 0),
            sa.func.coalesce(
                _CHARGES.c.total_cents,
                -_REVERSED.c.total_cents,
                _SALES.c.total_cents,
                -_REVERSED_SALE.c.total_cents,
                sa.case((_MISSED, _MOVED.c.amount)),
                0,
            ),
            sa.func.coalesce(
                _CHARGES.c.vat_cents,
                -_REVERSED.c.vat_cents,
                _SALES.c.vat_cents,
                -_REVERSED_SALE.c.vat_cents,
                sa.case((_MISSED, _MISSED_VAT)),
                0,
            ),
            sa.func.coalesce(_CHARGES.c.cheque_cents, -_REVERSED.c.cheque_cents, 0),
            _EQUIPMENT.c.name,
            _USAGE.c.started_at,
            _USAGE.c.ended_at,
            _MAKERS.c.member_number,
            _MAKERS.c.name,
            _TRANSACTIONS.c.id,
            _TRANSACTIONS.c.reverses_id,
            sa.case((_USAGE.c.id.is_not(None), _EQUIPMENT.c.rate_cents_per_hour), else_=None),
            sa.func.coalesce(_SALES.c.quantity, _REVERSED_SALE.c.quantity),
            sa.func.coalesce(_SALES.c.unit_price_cents, _REVERSED_SALE.c.unit_price_cents),
            _SITES.c.timezone,
            _EQUIPMENT.c.asset_tag,
            _ORIGINAL.c.kind,
            _ORIGINAL.c.occurred_on,
            _MATERIALS.c.name,
            _ORGANISATIONS.c.code,
        )
        .select_from(
            _TRANSACTIONS.outerjoin(_MOVED, _MOVED.c.transaction_id == _TRANSACTIONS.c.id)
            .outerjoin(_CHARGES, _CHARGES.c.transaction_id == _TRANSACTIONS.c.id)
            .outerjoin(_REVERSED, _REVERSED.c.transaction_id == _TRANSACTIONS.c.reverses_id)
            .outerjoin(_SALES, _SALES.c.transaction_id == _TRANSACTIONS.c.id)
            .outerjoin(
                _REVERSED_SALE, _REVERSED_SALE.c.transaction_id == _TRANSACTIONS.c.reverses_id
            )
            .outerjoin(
                _USAGE,
                _USAGE.c.id
                == sa.func.coalesce(_CHARGES.c.usage_session_id, _REVERSED.c.usage_session_id),
            )
            .outerjoin(_ORIGINAL, _ORIGINAL.c.id == _TRANSACTIONS.c.reverses_id)
            .outerjoin(
                _MATERIALS,
                _MATERIALS.c.id
                == sa.func.coalesce(_SALES.c.material_id, _REVERSED_SALE.c.material_id),
            )
            .outerjoin(_ORGANISATIONS, _ORGANISATIONS.c.id == _CHARGES.c.organisation_id)
            .outerjoin(_EQUIPMENT, _EQUIPMENT.c.id == _TRANSACTIONS.c.equipment_id)
            .outerjoin(_SITES, _SITES.c.id == _EQUIPMENT.c.site_id)
            .outerjoin(
                _MAKERS,
                _MAKERS.c.id
                == sa.func.coalesce(
                    _TRANSACTIONS.c.maker_id, _SALES.c.maker_id, _REVERSED_SALE.c.maker_id
                ),
            )
        )
        .where(_TRANSACTIONS.c.month == month, where)
        # In time order: what happened first comes first (a reversal on its own day).
        .order_by(
            _TRANSACTIONS.c.occurred_on,
            sa.func.coalesce(
                sa.case((_TRANSACTIONS.c.reverses_id.is_(None), _USAGE.c.started_at)),
                _TRANSACTIONS.c.booked_at,
            ),
            _TRANSACTIONS.c.id,
        ),
        {"account": account if account is not None else -1},
    ).all()
    missed = missed_slots(session, [row[2] for row in rows])
    return [
        StatementLine(
            day=row[0],
            kind=(kind := str(row[1].value if hasattr(row[1], "value") else row[1])),
            what=(what := _what(kind, row, missed))[0],
            what_values=what[1],
            machine=row[9] or "",
            start=_local_time(row[10], row[19]),
            end=_local_time(row[11], row[19]),
            timezone=row[19] or "",
            used_by=f"{row[12]} {row[13]}" if row[12] else "",
            transaction_id=int(row[14]),
            reverses_id=row[15],
            hourly_cents=row[16],
            units=row[17],
            unit_cents=row[18],
            minutes=int(row[4]),
            material_grams=float(row[5]),
            total_cents=int(row[6]),
            vat_cents=int(row[7]),
            cheque_cents=int(row[8]),
            maker_cents=int(row[3]),
        )
        for row in rows
    ]


def _what(
    kind: str, row: Sequence[Any], missed: dict[str, tuple[datetime, datetime]]
) -> tuple[str, dict[str, str | date]]:
    """What the line of `row` (as `_lines` reads it) is: see `what_line_is`."""
    slot = missed.get(row[2])
    return what_line_is(
        kind,
        key=row[2],
        machine=row[20],
        minutes=int(row[4]),
        organisation=row[24],
        units=row[17],
        material=row[23],
        reversed_kind=row[21],
        reversed_day=row[22],
        missed=(_local_time(slot[0], row[19]), _local_time(slot[1], row[19])) if slot else None,
    )


def _local_time(moment: datetime | None, timezone: str | None) -> str:
    """`HH:MM` in the zone of the machine's site."""
    if moment is None or timezone is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def _opening(session: Session, account: int | None, month: str) -> int:
    if account is None:
        return 0
    return int(
        session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(_POSTINGS.c.amount_cents), 0)).where(
                _POSTINGS.c.account_id == account, _POSTINGS.c.month < month
            )
        ).scalar_one()
    )


def statement_document(statement: Statement, forms: Forms) -> Document:
    """The statement as a table: the opening balance, each line in time order, the month's
    movements and the closing balance (the same rows in the CSV and the PDF, said in `forms`:
    the CSV's headings are data, the PDF's are in the reader's language)."""
    _ = forms.say
    rate = f"{statement.vat_rate * 100:.0f} %"
    organisation = statement.enterprise_number is not None
    blank = [""] * (7 if organisation else 6)

    def money_row(label: str, *amounts: str) -> list[str]:
        return ["", label, *blank, *([""] * (4 - len(amounts))), *amounts]

    rows = [money_row(_("opening balance"), forms.amount(statement.opening_cents))]
    for line in statement.lines:
        rows.append(
            [
                forms.day(line.day),
                _(KINDS.get(line.kind, line.kind)),
                line.start,
                line.end,
                line.machine,
                *([line.used_by] if organisation else []),
                line.describe(_, forms.day),
                str(line.minutes),
                forms.grams(line.material_grams),
                forms.amount(line.total_cents),
                forms.amount(line.vat_cents),
                forms.amount(line.cheque_cents),
                forms.amount(line.maker_cents),
            ]
        )
    totals = (
        sum(line.total_cents for line in statement.lines),
        sum(line.vat_cents for line in statement.lines),
        sum(line.cheque_cents for line in statement.lines),
        statement.movements_cents,
    )
    rows.append(money_row(_("movements"), *(forms.amount(total) for total in totals)))
    rows.append(money_row(_("closing balance"), forms.amount(statement.closing_cents)))
    number = (
        format_enterprise_number(statement.enterprise_number)
        if statement.enterprise_number
        else None
    )
    if number:
        rows.append(["", _("enterprise number"), number, *blank[1:], "", "", "", ""])
    by_day: dict[str, int] = {}
    for line in statement.lines:
        by_day[line.day.isoformat()[5:]] = (
            by_day.get(line.day.isoformat()[5:], 0) + line.total_cents
        )
    zones = sorted({line.timezone for line in statement.lines if line.start})
    return Document(
        title=_("Statement {month}: {number} {name}").format(
            month=statement.month, number=statement.member_number, name=statement.name
        ),
        header=[
            _("date"),
            _("kind"),
            _("start"),
            _("end"),
            _("machine"),
            *([_("used by")] if organisation else []),
            _("description"),
            _("minutes"),
            _("material g"),
            _("total EUR"),
            _("VAT {rate} EUR").format(rate=rate),
            _("cheques EUR"),
            _("to pay EUR"),
        ],
        rows=rows,
        notes=[
            *([_("Enterprise number: {number}.").format(number=number)] if number else []),
            _(
                "Owed at the start of the month: {opening}. Movements: {movements}. "
                "Owed at its end: {closing}."
            ).format(
                opening=forms.money(statement.opening_cents),
                movements=forms.money(statement.movements_cents),
                closing=forms.money(statement.closing_cents),
            ),
            _("Prices include VAT at {rate}; each line is rounded once to the cent.").format(
                rate=rate
            ),
            *([_("Times are local ({zones}).").format(zones=", ".join(zones))] if zones else []),
        ],
        chart=Chart(
            _("Usage charged per day"),
            list(by_day),
            {"EUR": [cents / 100 for cents in by_day.values()]},
        )
        if len(by_day) > 1
        else None,
    )


def statement_csv(statement: Statement) -> str:
    return to_csv(statement_document(statement, DATA))


def statement_pdf(statement: Statement, language: str) -> bytes:
    """The statement as a PDF, its amounts and days in the local form of `language`."""
    return to_pdf(statement_document(statement, local_forms(language)))


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
