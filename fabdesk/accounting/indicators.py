"""The Industrial Plan's indicators for a month, a quarter or a year (CSV and PDF with charts).

One table, one row per indicator and group, so a funder's spreadsheet can pivot it:
- `sector`, `site`, `category`: sessions, hours of machine use and revenue (net of VAT) of the
  charges whose use happened in the period, by the maker's sector *at the time of use*
  (`none`: unknown) and by site and machine category; reversed charges do not count.
- `month`: the same per month of the period (the line chart).
- `cheques`: value maker cheques paid in the period, per programme and sector (reversals
  deducted).
- `coinvestor`: each co-investor's revenue booked in the period (ledger), and the hours its
  machines were used, weighted by its share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from fabdesk.accounting import _tables as tables
from fabdesk.accounting._documents import Chart, Document, Forms
from fabdesk.accounting.reports import sector_names
from fabdesk.errors import InvalidValue
from fabdesk.i18n import N_
from fabdesk.models import (
    AccountKind,
    TransactionKind,
)

__all__ = ["Period", "indicators_report", "parse_period"]


INDICATORS = {
    "sector": N_("sector"),
    "site": N_("site"),
    "category": N_("category"),
    "month": N_("month"),
    "cheques": N_("cheques"),
    "coinvestor": N_("coinvestor"),
}
"""Each row's indicator: its code in a CSV (the msgid), a word of the reader's in a PDF."""
SECTORS = {
    "construction": N_("construction"),
    "manufacturing": N_("manufacturing"),
    "agrifood": N_("agrifood"),
    "health": N_("health"),
    "creative": N_("creative"),
    "none": N_("none"),
}
"""The sectors' codes (a CSV's groups), said in the reader's language in a PDF."""

_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")


@dataclass(frozen=True)
class Period:
    """A month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`) of the labs' calendar."""

    name: str
    months: list[str]

    @property
    def first_day(self) -> date:
        return date.fromisoformat(self.months[0] + "-01")

    @property
    def end_day(self) -> date:
        """The day after the period (excluded)."""
        year, month = (int(part) for part in self.months[-1].split("-"))
        return date(year + (month == 12), month % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """`2026-11`, `2026-Q4` or `2026` checked; anything else is refused with what to type."""
    found = _PERIOD.match(text.strip())
    if found is None:
        raise InvalidValue(
            "{text!r} is not a period: write a month (2026-11), a quarter (2026-Q4) or a "
            "year (2026).",
            text=text,
            error_code="period",
        )
    year, month, quarter = found.groups()
    if month:
        numbers = [int(month)]
    elif quarter:
        numbers = [3 * int(quarter) - 2 + step for step in range(3)]
    else:
        numbers = list(range(1, 13))
    return Period(text.strip(), [f"{year}-{number:02d}" for number in numbers])


def indicators_report(session: Session, period_text: str, forms: Forms) -> Document:
    """The Industrial Plan's indicators of a period (see the module docstring), amounts and hours
    said in `forms`."""
    period = parse_period(period_text)
    reversed_ids = sa.select(tables.TRANSACTIONS.c.reverses_id).where(
        tables.TRANSACTIONS.c.reverses_id.is_not(None)
    )
    sector = sa.func.coalesce(tables.CHARGES.c.sector, "none")
    month = sa.func.substr(sa.cast(tables.CHARGES.c.occurred_on, sa.String), 1, 7)
    in_period = (
        tables.CHARGES.c.occurred_on >= period.first_day,
        tables.CHARGES.c.occurred_on < period.end_day,
        tables.CHARGES.c.transaction_id.not_in(reversed_ids),
    )
    joined = (
        tables.CHARGES.join(
            tables.EQUIPMENT, tables.EQUIPMENT.c.id == tables.CHARGES.c.equipment_id
        )
        .join(tables.SITES, tables.SITES.c.id == tables.EQUIPMENT.c.site_id)
        .join(tables.CATEGORIES, tables.CATEGORIES.c.id == tables.EQUIPMENT.c.category_id)
    )
    usage: dict[str, dict[str, tuple[int, float, int]]] = {}
    for name, group in (
        ("sector", sector),
        ("site", tables.SITES.c.code),
        ("category", tables.CATEGORIES.c.code),
        ("month", month),
    ):
        usage[name] = {
            str(key): (int(count), float(seconds or 0), int(net or 0))
            for key, count, seconds, net in session.execute(
                sa.select(
                    group,
                    sa.func.count(),
                    sa.func.sum(tables.CHARGES.c.active_seconds),
                    sa.func.sum(tables.CHARGES.c.total_cents - tables.CHARGES.c.vat_cents),
                )
                .select_from(joined)
                .where(*in_period)
                .group_by(group)
            ).all()
        }
    _ = forms.say
    rows: list[list[str]] = []
    sectors = sector_names(set(usage["sector"]))
    keys = {
        "sector": sectors,
        "site": sorted(usage["site"]),
        "category": sorted(usage["category"]),
        "month": period.months,
    }
    for name, names in keys.items():
        for key in names:
            count, seconds, net = usage[name].get(key, (0, 0.0, 0))
            group = _(SECTORS.get(key, key)) if name == "sector" else key
            rows.append(
                [_(INDICATORS[name]), group, str(count), forms.hours(seconds), forms.amount(net)]
            )
    rows += _cheque_rows(session, period, forms)
    rows += _coinvestor_rows(session, period, forms)
    by_sector = [usage["sector"].get(key, (0, 0.0, 0)) for key in sectors]
    by_month = [usage["month"].get(key, (0, 0.0, 0)) for key in period.months]
    return Document(
        title=_("Industrial Plan indicators {period}").format(period=period.name),
        header=[_("indicator"), _("group"), _("sessions"), _("hours"), "EUR"],
        rows=rows,
        notes=[
            _(
                "sector, site, category, month: charged machine use in the period (by its "
                "date), hours of active time and revenue net of VAT; the sector is the maker's "
                "at the time of use, `none` when unknown; reversed charges are left out."
            ),
            _("cheques: value maker cheques paid, per programme/sector (sessions: makers)."),
            _(
                "coinvestor: revenue booked to the co-investor in the period, and the hours its "
                "machines were used weighted by its share."
            ),
        ],
        chart=Chart(
            _("Hours of machine use by sector"),
            [_(SECTORS.get(key, key)) for key in sectors],
            {_("hours"): [seconds / 3600 for _n, seconds, _net in by_sector]},
            unit="h",
        ),
        more_charts=[
            Chart(
                _("Revenue and hours per month"),
                period.months,
                {
                    _("revenue EUR"): [net / 100 for _n, _s, net in by_month],
                    _("hours"): [seconds / 3600 for _n, seconds, _net in by_month],
                },
                line=True,
            )
        ],
    )


def _cheque_rows(session: Session, period: Period, forms: Forms) -> list[list[str]]:
    sector = sa.func.coalesce(tables.CHARGES.c.sector, "none")
    found = session.execute(
        sa.select(
            tables.PROGRAMMES.c.code,
            sector,
            sa.func.count(sa.distinct(tables.CHEQUES.c.maker_id)),
            sa.func.sum(tables.POSTINGS.c.amount_cents),
        )
        .select_from(
            tables.POSTINGS.join(
                tables.ACCOUNTS, tables.ACCOUNTS.c.id == tables.POSTINGS.c.account_id
            )
            .join(tables.TRANSACTIONS, tables.TRANSACTIONS.c.id == tables.POSTINGS.c.transaction_id)
            .join(tables.CHEQUES, tables.CHEQUES.c.id == tables.ACCOUNTS.c.owner_id)
            .join(tables.PROGRAMMES, tables.PROGRAMMES.c.id == tables.CHEQUES.c.programme_id)
            .outerjoin(
                tables.CHARGES,
                tables.CHARGES.c.transaction_id
                == sa.func.coalesce(tables.TRANSACTIONS.c.reverses_id, tables.TRANSACTIONS.c.id),
            )
        )
        .where(
            tables.ACCOUNTS.c.kind == AccountKind.CHEQUE,
            tables.POSTINGS.c.month.in_(period.months),
            tables.TRANSACTIONS.c.kind.in_([TransactionKind.CHARGE, TransactionKind.REVERSAL]),
        )
        .group_by(tables.PROGRAMMES.c.code, sector)
        .order_by(tables.PROGRAMMES.c.code, sector)
    ).all()
    return [
        [
            forms.say(INDICATORS["cheques"]),
            f"{code}/{forms.say(SECTORS.get(sec, sec))}",
            str(makers),
            "",
            forms.amount(int(cents)),
        ]
        for code, sec, makers, cents in found
    ]


def _coinvestor_rows(session: Session, period: Period, forms: Forms) -> list[list[str]]:
    revenue = dict(
        session.execute(
            sa.select(tables.ACCOUNTS.c.owner_id, -sa.func.sum(tables.POSTINGS.c.amount_cents))
            .select_from(
                tables.POSTINGS.join(
                    tables.ACCOUNTS, tables.ACCOUNTS.c.id == tables.POSTINGS.c.account_id
                )
            )
            .where(
                tables.ACCOUNTS.c.kind == AccountKind.INVESTOR,
                tables.POSTINGS.c.month.in_(period.months),
            )
            .group_by(tables.ACCOUNTS.c.owner_id)
        ).all()
    )
    reversed_ids = sa.select(tables.TRANSACTIONS.c.reverses_id).where(
        tables.TRANSACTIONS.c.reverses_id.is_not(None)
    )
    shared_seconds = dict(
        session.execute(
            sa.select(
                tables.SHARES.c.investor_id,
                sa.func.sum(
                    tables.CHARGES.c.active_seconds * tables.SHARES.c.basis_points / 10000.0
                ),
            )
            .select_from(
                tables.SHARES.join(
                    tables.CHARGES, tables.CHARGES.c.equipment_id == tables.SHARES.c.equipment_id
                )
            )
            .where(
                tables.CHARGES.c.occurred_on >= period.first_day,
                tables.CHARGES.c.occurred_on < period.end_day,
                tables.CHARGES.c.transaction_id.not_in(reversed_ids),
            )
            .group_by(tables.SHARES.c.investor_id)
        ).all()
    )
    investors = session.execute(
        sa.select(tables.INVESTORS.c.id, tables.INVESTORS.c.name).order_by(tables.INVESTORS.c.name)
    ).all()
    return [
        [
            forms.say(INDICATORS["coinvestor"]),
            str(name),
            "",
            forms.hours(float(shared_seconds.get(investor, 0) or 0)),
            forms.amount(int(revenue.get(investor, 0) or 0)),
        ]
        for investor, name in investors
        if investor in revenue or investor in shared_seconds
    ]
