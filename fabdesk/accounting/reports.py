"""Reports for co-investors, cheque funders and the Region (CSV and PDF, with charts).

- `coinvestor_report`: each co-investor's revenue share per machine in a month, and the usage
  rights its members used this year against their allowance.
- `programme_report`: per cheque programme, value spent in the month by machine category and by
  sector, distinct makers, value issued, and what expired unused.
- `sector_report`: usage (sessions, hours) by the five sectors per site in a month.
- `cost_report`: per machine, the cost price of an hour, (depreciation + maintenance +
  consumables) / hours used, against the rate charged, and utilisation (hours used / hours open).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from fabdesk.accounting import _tables as tables
from fabdesk.accounting._documents import Chart, Document, euros, hours
from fabdesk.accounting.months import month_bounds, parse_month
from fabdesk.models import (
    AccountKind,
    EquipmentCost,
    OpeningHours,
    Sector,
    TransactionKind,
)
from fabdesk.money import cents_of

__all__ = ["coinvestor_report", "cost_report", "programme_report", "sector_report"]

_A = tables.ACCOUNTS
_C = tables.CATEGORIES
_UC = tables.CHARGES
_CH = tables.CHEQUES
_E = tables.EQUIPMENT
_I = tables.INVESTORS
_M = tables.MAKERS
_P = tables.POSTINGS
_PR = tables.PROGRAMMES
_SH = tables.SHARES
_S = tables.SITES
_T = tables.TRANSACTIONS
_U = tables.USAGE


def charge_sector(makers: sa.Table) -> sa.ColumnElement[str]:
    """The sector of a use: the one recorded on its first charge, else the maker's now, else
    `none` (read as text: `none` is no member of the Sector enum, and a row, not a crash)."""
    known = sa.case(
        (_UC.c.id.is_not(None), _UC.c.sector), else_=sa.cast(makers.c.sector, sa.String)
    )
    return sa.func.coalesce(known, "none")


def sector_names(found: set[str]) -> list[str]:
    """The five sectors, `none`, then any other sector found (a row each, never a crash)."""
    known = [sector.value for sector in Sector] + ["none"]
    return known + sorted(found - set(known))


def coinvestor_report(session: Session, month: str) -> Document:
    """Revenue shares booked in a month, per co-investor and machine, and usage rights used."""
    month = parse_month(month)
    year = int(month[:4])
    shares = session.execute(
        sa.select(
            _I.c.id,
            _I.c.name,
            _E.c.id,
            _E.c.asset_tag,
            _SH.c.basis_points,
            _SH.c.usage_hours_per_year,
        )
        .select_from(
            _SH.join(_I, _I.c.id == _SH.c.investor_id).join(_E, _E.c.id == _SH.c.equipment_id)
        )
        .order_by(_I.c.name, _E.c.asset_tag)
    ).all()
    revenue = {
        (int(investor), int(equipment)): -int(total)
        for investor, equipment, total in session.execute(
            sa.select(_A.c.owner_id, _T.c.equipment_id, sa.func.sum(_P.c.amount_cents))
            .select_from(
                _P.join(_A, _A.c.id == _P.c.account_id).join(_T, _T.c.id == _P.c.transaction_id)
            )
            .where(_A.c.kind == AccountKind.INVESTOR, _P.c.month == month)
            .group_by(_A.c.owner_id, _T.c.equipment_id)
        ).all()
        if equipment is not None
    }
    reversed_ids = sa.select(_T.c.reverses_id).where(_T.c.reverses_id.is_not(None))
    rights = {
        (int(investor), int(equipment)): float(seconds)
        for investor, equipment, seconds in session.execute(
            sa.select(
                _UC.c.rights_investor_id, _UC.c.equipment_id, sa.func.sum(_UC.c.rights_seconds)
            )
            .where(
                _UC.c.rights_investor_id.is_not(None),
                _UC.c.occurred_on >= date(year, 1, 1),
                _UC.c.occurred_on <= date(year, 12, 31),
                _UC.c.transaction_id.not_in(reversed_ids),
            )
            .group_by(_UC.c.rights_investor_id, _UC.c.equipment_id)
        ).all()
    }
    rows: list[list[str]] = []
    per_investor: dict[str, int] = {}
    for investor, name, equipment, tag, points, allowance in shares:
        cents = revenue.get((investor, equipment), 0)
        per_investor[name] = per_investor.get(name, 0) + cents
        used = rights.get((investor, equipment), 0.0)
        rows.append([name, tag, f"{points / 100:.2f} %", euros(cents), hours(used), str(allowance)])
    return Document(
        title=f"Co-investors {month}",
        header=[
            "co-investor",
            "machine",
            "share",
            "revenue EUR",
            f"rights used {year} h",
            "rights h/year",
        ],
        rows=rows,
        notes=[
            "Revenue is net of VAT and of material at cost, split by the shares in the cadastre, "
            "exact to the cent (largest remainder)."
        ],
        chart=Chart(
            "Revenue share in the month",
            list(per_investor),
            {"EUR": [c / 100 for c in per_investor.values()]},
        ),
    )


@dataclass(frozen=True)
class _Spend:
    programme: str
    category: str
    sector: str
    cents: int
    makers: int


def programme_report(session: Session, month: str, programme_code: str | None = None) -> Document:
    """For each programme's funder: spent by machine category and sector, makers, expiries."""
    month = parse_month(month)
    where = [_A.c.kind == AccountKind.CHEQUE, _P.c.month == month]
    if programme_code:
        where.append(_PR.c.code == programme_code)
    spent_by_kind = sa.case(
        (_T.c.kind.in_([TransactionKind.CHARGE, TransactionKind.REVERSAL]), _P.c.amount_cents),
        else_=0,
    )
    expired_by_kind = sa.case(
        (_T.c.kind == TransactionKind.CHEQUE_EXPIRY, _P.c.amount_cents), else_=0
    )
    issued_by_kind = sa.case(
        (_T.c.kind == TransactionKind.CHEQUE_ISSUE, -_P.c.amount_cents), else_=0
    )
    joined = (
        _P.join(_A, _A.c.id == _P.c.account_id)
        .join(_T, _T.c.id == _P.c.transaction_id)
        .join(_CH, _CH.c.id == _A.c.owner_id)
        .join(_PR, _PR.c.id == _CH.c.programme_id)
        .join(_M, _M.c.id == _CH.c.maker_id)
        .outerjoin(_E, _E.c.id == _T.c.equipment_id)
        .outerjoin(_C, _C.c.id == _E.c.category_id)
        .outerjoin(_UC, _UC.c.transaction_id == sa.func.coalesce(_T.c.reverses_id, _T.c.id))
    )
    sector = charge_sector(_M)
    spends = session.execute(
        sa.select(
            _PR.c.code,
            sa.func.coalesce(_C.c.code, "-"),
            sector,
            sa.func.sum(spent_by_kind),
            sa.func.count(sa.distinct(_CH.c.maker_id)),
        )
        .select_from(joined)
        .where(*where, _T.c.kind.in_([TransactionKind.CHARGE, TransactionKind.REVERSAL]))
        .group_by(_PR.c.code, _C.c.code, sector)
        .order_by(_PR.c.code, _C.c.code, sector)
    ).all()
    totals = session.execute(
        sa.select(
            _PR.c.code,
            sa.func.sum(spent_by_kind),
            sa.func.sum(expired_by_kind),
            sa.func.sum(issued_by_kind),
            sa.func.count(sa.distinct(sa.case((spent_by_kind != 0, _CH.c.maker_id)))),
        )
        .select_from(joined)
        .where(*where)
        .group_by(_PR.c.code)
        .order_by(_PR.c.code)
    ).all()
    rows = [
        [code, category, str(sector), euros(int(cents)), str(makers)]
        for code, category, sector, cents, makers in spends
    ]
    notes = [
        f"{code}: issued EUR {euros(int(issued))}, spent EUR {euros(int(spent))} by {makers} "
        f"distinct makers, expired unused EUR {euros(int(expired))}."
        for code, spent, expired, issued, makers in totals
    ]
    by_sector: dict[str, int] = {}
    for _code, _category, sector, cents, _makers in spends:
        by_sector[str(sector)] = by_sector.get(str(sector), 0) + int(cents)
    return Document(
        title=f"Maker cheques {month}" + (f": {programme_code}" if programme_code else ""),
        header=["programme", "machine category", "sector", "spent EUR", "makers"],
        rows=rows,
        notes=notes or ["No cheque moved in the month."],
        chart=Chart(
            "Cheque value spent by sector",
            list(by_sector),
            {"EUR": [c / 100 for c in by_sector.values()]},
        ),
    )


def sector_report(session: Session, month: str, *, zone: ZoneInfo) -> Document:
    """Usage by the five sectors of the Industrial Plan, per site (sessions ended in the month
    of `zone`, the ledger's)."""
    month = parse_month(month)
    start, end = month_bounds(month, zone)
    sector = charge_sector(_M)
    found = session.execute(
        sa.select(_S.c.code, sector, sa.func.count(), sa.func.sum(_U.c.active_seconds))
        .select_from(
            _U.join(_E, _E.c.id == _U.c.equipment_id)
            .join(_S, _S.c.id == _E.c.site_id)
            .outerjoin(_M, _M.c.id == _U.c.maker_id)
            .outerjoin(_UC, sa.and_(_UC.c.usage_session_id == _U.c.id, _UC.c.revision == 1))
        )
        .where(_U.c.ended_at >= start, _U.c.ended_at < end)
        .group_by(_S.c.code, sector)
    ).all()
    sites = sorted({str(site) for site, *_rest in found})
    sectors = sector_names({str(sec) for _site, sec, *_rest in found})
    table = {(str(site), str(sec)): (int(n), float(sec_s or 0)) for site, sec, n, sec_s in found}
    rows = [
        [
            site,
            sec,
            str(table.get((site, sec), (0, 0.0))[0]),
            hours(table.get((site, sec), (0, 0.0))[1]),
        ]
        for site in sites
        for sec in sectors
    ]
    return Document(
        title=f"Usage by sector {month}",
        header=["site", "sector", "sessions", "hours"],
        rows=rows,
        notes=[
            "Sessions that ended in the month, by the maker's sector at the time of use; "
            "`none`: sector unknown."
        ],
        chart=Chart(
            "Hours of machine use by sector",
            sectors,
            {
                site: [table.get((site, sec), (0, 0.0))[1] / 3600 for sec in sectors]
                for site in sites
            },
            unit="h",
        ),
    )


def _open_seconds(session: Session, year: int) -> dict[int, float]:
    """Seconds each site is open in a year, from its weekly opening hours."""
    weekdays = [0] * 7
    for month in range(1, 13):
        for week in calendar.monthcalendar(year, month):
            for weekday, day in enumerate(week):
                if day:
                    weekdays[weekday] += 1
    opening = OpeningHours.__table__  # type: ignore[attr-defined]
    result: dict[int, float] = {}
    for site, weekday, opens, closes in session.execute(
        sa.select(opening.c.site_id, opening.c.weekday, opening.c.opens, opening.c.closes)
    ).all():
        span = (
            datetime.combine(date.min, closes) - datetime.combine(date.min, opens)
        ).total_seconds()
        result[int(site)] = result.get(int(site), 0.0) + span * weekdays[int(weekday)]
    return result


def cost_report(session: Session, year: int, *, zone: ZoneInfo) -> Document:
    """Cost price of an hour per machine against its rate, and utilisation (used / open), over
    the year of `zone` (the ledger's)."""
    start, _ = month_bounds(f"{year:04d}-01", zone)
    _, end = month_bounds(f"{year:04d}-12", zone)
    costs = EquipmentCost.__table__  # type: ignore[attr-defined]
    used = dict(
        session.execute(
            sa.select(_U.c.equipment_id, sa.func.sum(_U.c.active_seconds))
            .where(_U.c.ended_at >= start, _U.c.ended_at < end)
            .group_by(_U.c.equipment_id)
        ).all()
    )
    open_seconds = _open_seconds(session, year)
    rows: list[list[str]] = []
    chart_names: list[str] = []
    chart_cost: list[float] = []
    chart_rate: list[float] = []
    for equipment, site_id, tag, site, category, rate, dep, maint, cons in session.execute(
        sa.select(
            _E.c.id,
            _E.c.site_id,
            _E.c.asset_tag,
            _S.c.code,
            _C.c.code,
            _E.c.rate_cents_per_hour,
            costs.c.depreciation_cents,
            costs.c.maintenance_cents,
            costs.c.consumables_cents,
        )
        .select_from(
            _E.join(_S, _S.c.id == _E.c.site_id)
            .join(_C, _C.c.id == _E.c.category_id)
            .outerjoin(costs, sa.and_(costs.c.equipment_id == _E.c.id, costs.c.year == year))
        )
        .order_by(_S.c.code, _C.c.code, _E.c.asset_tag)
    ).all():
        seconds = float(used.get(equipment, 0.0) or 0.0)
        total_cost = int(dep or 0) + int(maint or 0) + int(cons or 0)
        # Exact: cents x 3600 / seconds as a fraction, rounded once (never a float's round()).
        per_hour = cents_of(Fraction(total_cost * 3600) / Fraction(seconds)) if seconds else None
        site_open = open_seconds.get(int(site_id), 0.0)
        utilisation = f"{100 * seconds / site_open:.1f} %" if site_open else "-"
        rows.append(
            [
                site,
                category,
                tag,
                euros(total_cost),
                hours(seconds),
                euros(per_hour) if per_hour is not None else "-",
                euros(rate),
                utilisation,
            ]
        )
        if per_hour is not None:
            chart_names.append(tag)
            chart_cost.append(per_hour / 100)
            chart_rate.append(rate / 100)
    return Document(
        title=f"Cost price per machine {year}",
        header=[
            "site",
            "category",
            "machine",
            "costs EUR",
            "hours used",
            "cost/hour EUR",
            "rate/hour EUR",
            "utilisation",
        ],
        rows=rows,
        notes=[
            "Cost price of an hour = (depreciation + maintenance + consumables) / hours used. "
            "Utilisation = hours used / hours the site is open in the year."
        ],
        chart=Chart(
            "Cost price against rate, per hour",
            chart_names,
            {"cost/hour": chart_cost, "rate/hour": chart_rate},
            unit="EUR",
        ),
    )
