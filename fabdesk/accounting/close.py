"""Period close: a month's balances and usage frozen in a few set-based statements.

Closing `2026-11`: post any finished session of the month not charged yet, then, each in one
INSERT … SELECT, store every account's movement and end-of-month balance and the month's usage by
machine and sector, and record the month's fingerprint (counts and debit total). The work is
done by the database, so it scales with an index scan, not with Python objects. Afterwards
nothing is booked in the month again (late sessions go to the open month) and `check_ledger`
proves it never changed. Closing a closed month returns it as it is.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.accounting.charges import WAITING, post_usage_charge
from fabdesk.accounting.ledger import hold_period_lock, last_closed_month, period_fingerprint
from fabdesk.accounting.months import local_day, month_bounds, parse_month
from fabdesk.accounting.pricing import PriceRules
from fabdesk.errors import Count, LedgerImbalance, RuleViolation, Violation
from fabdesk.models import (
    LedgerPeriod,
    LedgerPosting,
    PeriodBalance,
    PeriodUsage,
    UsageCharge,
    UsageSession,
)

__all__ = ["close_period"]

log = logging.getLogger(__name__)


def close_period(session: Session, month: str, *, now: datetime, rules: PriceRules) -> LedgerPeriod:
    """Close a month (`YYYY-MM`) that has ended by `now`; closing it again changes nothing."""
    month = parse_month(month)
    hold_period_lock(session, exclusive=True)
    existing = session.get(LedgerPeriod, month)
    if existing is not None:
        return existing
    start, end = month_bounds(month, rules.zone)
    if now < end:
        raise RuleViolation(
            [
                Violation(
                    "period_not_ended",
                    "The month {month} has not ended yet: it can be closed from {end}.",
                    {"month": month, "end": end.isoformat()},
                )
            ]
        )
    _refuse_gaps(session, month)
    _refuse_unattributed(session, month, start, end)
    if session.get_bind().dialect.name == "sqlite":
        # A bigger page cache for the few big scans below (SQLite's default is 2 MB).
        session.execute(sa.text("PRAGMA cache_size = -131072"))
    _charge_month_backlog(session, start, end, now=now, rules=rules)
    session.flush()
    transactions, postings, debits = period_fingerprint(session, month)
    period = LedgerPeriod(
        month=month,
        closed_at=now,
        transaction_count=transactions,
        posting_count=postings,
        debit_total_cents=debits,
    )
    session.add(period)
    session.flush()
    _store_balances(session, month)
    _store_usage(session, month, *_days(start, end, rules.zone))
    total = session.exec(
        select(sa.func.coalesce(sa.func.sum(PeriodBalance.movement_cents), 0)).where(
            PeriodBalance.month == month
        )
    ).one()
    if int(total) != 0:
        raise LedgerImbalance(
            "The month {month} does not balance: its movements sum to {total} cents.",
            month=month,
            total=int(total),
        )
    log.info("period_closed", extra={"month": month, "transactions": transactions})
    return period


def _refuse_gaps(session: Session, month: str) -> None:
    """Months close in order: an earlier month with postings must be closed first."""
    last_closed = last_closed_month(session)
    if last_closed is not None and last_closed > month:
        raise RuleViolation(
            [
                Violation(
                    "period_order",
                    "{month} comes before {closed}, which is closed: months are closed in order.",
                    {"month": month, "closed": last_closed},
                )
            ]
        )
    earlier = select(sa.func.min(LedgerPosting.month)).where(col(LedgerPosting.month) < month)
    if last_closed is not None:
        earlier = earlier.where(col(LedgerPosting.month) > last_closed)
    first_open = session.exec(earlier).one()
    if first_open is not None:
        raise RuleViolation(
            [
                Violation(
                    "period_order",
                    "Close {first} first: months are closed in order.",
                    {"first": first_open},
                )
            ]
        )


SESSIONS_WAITING = (
    "{n} usage session waits for a manager to assign it",
    "{n} usage sessions wait for a manager to assign them",
)
"""How a refusal to close counts the sessions that wait (plural entries of the catalogues)."""


def _refuse_unattributed(session: Session, month: str, start: datetime, end: datetime) -> None:
    """A month whose sessions wait for a manager cannot close: they would never be charged in
    it. The refusal lists them; the closing manager assigns them (`fabdesk close MONTH --assign
    SESSION=…`, or `fabdesk usage assign`) and closes again."""
    waiting = session.exec(
        select(UsageSession.id)
        .where(WAITING, col(UsageSession.ended_at) >= start, col(UsageSession.ended_at) < end)
        .order_by(col(UsageSession.id))
    ).all()
    if waiting:
        raise RuleViolation(
            [
                Violation(
                    "period_has_unattributed_sessions",
                    "{month} cannot be closed: {waiting} (fabdesk usage unattributed): {sessions}.",
                    {
                        "month": month,
                        "waiting": Count(SESSIONS_WAITING, len(waiting)),
                        "sessions": ", ".join(str(found) for found in waiting),
                    },
                )
            ]
        )


def _charge_month_backlog(
    session: Session, start: datetime, end: datetime, *, now: datetime, rules: PriceRules
) -> None:
    """Charge the month's finished sessions that the charging job has not reached yet.

    Usually there are none: two index-only counts (sessions ended in the month, first charges
    dated in it) prove it without reading a row. Otherwise an anti-join finds them; unfinished
    sessions among them are left for later.
    """
    usage = UsageSession.__table__  # type: ignore[attr-defined]
    charges = UsageCharge.__table__  # type: ignore[attr-defined]
    ended = session.execute(
        sa.select(sa.func.count()).where(usage.c.ended_at >= start, usage.c.ended_at < end)
    ).scalar_one()
    first, after = _days(start, end, rules.zone)
    charged = session.execute(
        sa.select(sa.func.count()).where(
            charges.c.occurred_on >= first, charges.c.occurred_on < after, charges.c.revision == 1
        )
    ).scalar_one()
    if ended == charged:
        return
    pending = session.execute(
        sa.select(usage.c.id)
        .where(
            usage.c.ended_at >= start,
            usage.c.ended_at < end,
            ~sa.exists().where(charges.c.usage_session_id == usage.c.id),
        )
        .order_by(usage.c.ended_at, usage.c.id)
    ).scalars()
    for usage_id in list(pending):
        found = session.get(UsageSession, usage_id)
        if found is not None and found.finished and found.attributed:
            post_usage_charge(session, usage_id, now=now, rules=rules)


def _store_balances(session: Session, month: str) -> None:
    previous = session.exec(
        select(sa.func.max(LedgerPeriod.month)).where(col(LedgerPeriod.month) < month)
    ).one()
    postings = sa.table(
        LedgerPosting.__tablename__,
        sa.column("account_id"),
        sa.column("month"),
        sa.column("amount_cents"),
    )
    balances = sa.table(
        PeriodBalance.__tablename__,
        sa.column("month"),
        sa.column("account_id"),
        sa.column("movement_cents"),
        sa.column("closing_cents"),
    )
    # Movements since the previous close, plus the previous closing balances.
    since = postings.c.month <= month
    if previous is not None:
        since = sa.and_(since, postings.c.month > previous)
    changes = (
        sa.select(
            postings.c.account_id.label("account_id"),
            sa.func.sum(
                sa.case((postings.c.month == month, postings.c.amount_cents), else_=0)
            ).label("movement"),
            sa.func.sum(postings.c.amount_cents).label("change"),
        )
        .where(since)
        .group_by(postings.c.account_id)
    )
    if previous is not None:
        carried = sa.select(
            balances.c.account_id.label("account_id"),
            sa.literal(0, sa.BigInteger).label("movement"),
            balances.c.closing_cents.label("change"),
        ).where(balances.c.month == previous)
        changes = sa.union_all(changes, carried)  # type: ignore[assignment]
    combined = changes.subquery()
    session.execute(
        sa.insert(balances).from_select(
            ["month", "account_id", "movement_cents", "closing_cents"],
            sa.select(
                sa.literal(month, sa.String(7)),
                combined.c.account_id,
                sa.func.sum(combined.c.movement),
                sa.func.sum(combined.c.change),
            ).group_by(combined.c.account_id),
        )
    )


def _store_usage(session: Session, month: str, first: date, after: date) -> None:
    """Usage of the month's sessions (first charges dated in the month: from `first`, before
    `after`), from one covering index of the charges: no session row is read."""
    charges = UsageCharge.__table__  # type: ignore[attr-defined]
    sector = sa.func.coalesce(charges.c.sector, "none")
    session.execute(
        sa.insert(PeriodUsage.__table__).from_select(  # type: ignore[attr-defined]
            ["month", "equipment_id", "sector", "sessions", "active_seconds"],
            sa.select(
                sa.literal(month, sa.String(7)),
                charges.c.equipment_id,
                sector,
                sa.func.count(),
                sa.func.coalesce(sa.func.sum(charges.c.active_seconds), 0.0),
            )
            .where(
                charges.c.occurred_on >= first,
                charges.c.occurred_on < after,
                charges.c.revision == 1,
            )
            .group_by(charges.c.equipment_id, sector),
        )
    )


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The first day of a month and the first day after it in `zone`, from its UTC bounds."""
    return local_day(start, zone), local_day(end, zone)
