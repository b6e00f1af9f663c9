"""Booked, used, charged: per booking of a month, the booked time, the machine's measured time
(busy and idle apart) and what was charged, with the gaps between them.

Busy is the driver's `active_seconds`; idle is the rest of the session's elapsed time. Charged is
the total of the booking's usage charges whose transaction was not reversed (a reversal nets the
charge to zero). Gaps: `used_without_booking` (a session attached to no booking),
`booked_unused` (a booking over by `now` with no session), `used_beyond_booking` (a session
running past the booking's end; by how long).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from fabdesk.accounting.months import month_bounds
from fabdesk.errors import NotFound
from fabdesk.models import (
    Booking,
    BookingState,
    Equipment,
    LedgerTransaction,
    Maker,
    Site,
    UsageCharge,
    UsageSession,
)

__all__ = ["Gap", "ReconcileRow", "Reconciliation", "reconcile", "reconciliation_csv"]


class Gap(StrEnum):
    USED_WITHOUT_BOOKING = "used_without_booking"
    BOOKED_UNUSED = "booked_unused"
    USED_BEYOND_BOOKING = "used_beyond_booking"


@dataclass
class ReconcileRow:
    """One booking (or one session without a booking) with its time and money side by side."""

    booking_id: int | None
    state: str
    maker: str
    machine: str
    site: str
    booked_from: datetime | None
    booked_until: datetime | None
    booked_seconds: float = 0.0
    sessions: int = 0
    used_from: datetime | None = None
    used_until: datetime | None = None
    busy_seconds: float = 0.0
    idle_seconds: float = 0.0
    beyond_seconds: float = 0.0
    """How long the machine ran past the booking's end."""
    charged_cents: int = 0
    gaps: list[Gap] = field(default_factory=list)


@dataclass
class Reconciliation:
    month: str
    site: str | None
    rows: list[ReconcileRow]

    def gaps(self, gap: Gap) -> list[ReconcileRow]:
        return [row for row in self.rows if gap in row.gaps]


def reconcile(
    session: Session,
    month: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    site_code: str | None = None,
) -> Reconciliation:
    """Every booking that starts in `month` (of `zone`, the ledger's; cancelled ones left out),
    and every usage session that started in it without a booking, at one site or all."""
    start, end = month_bounds(month, zone)
    site_id: int | None = None
    if site_code is not None:
        site_id = session.exec(select(Site.id).where(Site.code == site_code)).first()
        if site_id is None:
            raise NotFound(
                "There is no site {site!r}.", site=site_code, error_code="site_not_found"
            )
    query = (
        select(Booking, Maker.member_number, Equipment.asset_tag, Site.code)
        .join(Maker, col(Maker.id) == Booking.maker_id)
        .join(Equipment, col(Equipment.id) == Booking.equipment_id)
        .join(Site, col(Site.id) == Equipment.site_id)
        .where(
            col(Booking.starts_at) >= start,
            col(Booking.starts_at) < end,
            Booking.state != BookingState.CANCELLED,
        )
        .order_by(col(Booking.starts_at), col(Booking.id))
    )
    if site_id is not None:
        query = query.where(Equipment.site_id == site_id)
    rows: dict[int, ReconcileRow] = {}
    for booking, member, tag, site in session.exec(query).all():
        assert booking.id is not None
        rows[booking.id] = ReconcileRow(
            booking_id=booking.id,
            state=booking.state.value,
            maker=member,
            machine=tag,
            site=site,
            booked_from=booking.starts_at,
            booked_until=booking.ends_at,
            booked_seconds=(booking.ends_at - booking.starts_at).total_seconds(),
        )
    booked = _booked_sessions(session, list(rows))
    unbooked = _unbooked_sessions(session, start, end, site_id)
    charged = _charged_cents(
        session, [usage.id for usage, _b in booked] + [u.id for u, *_ in unbooked]
    )
    for usage, booking_ends in booked:
        assert usage.booking_id is not None
        row = rows[usage.booking_id]
        _add_usage(row, usage, charged)
        if usage.ended_at is not None and usage.ended_at > booking_ends:
            started = usage.started_at or booking_ends
            row.beyond_seconds += (usage.ended_at - max(started, booking_ends)).total_seconds()
    result = list(rows.values())
    for row in result:
        if row.sessions == 0 and row.booked_until is not None and row.booked_until <= now:
            row.gaps.append(Gap.BOOKED_UNUSED)
        if row.beyond_seconds > 0:
            row.gaps.append(Gap.USED_BEYOND_BOOKING)
    for usage, number, tag, site in unbooked:
        loose = ReconcileRow(
            booking_id=None,
            state="",
            maker=number or "",
            machine=tag,
            site=site,
            booked_from=None,
            booked_until=None,
            gaps=[Gap.USED_WITHOUT_BOOKING],
        )
        _add_usage(loose, usage, charged)
        result.append(loose)
    return Reconciliation(month=month, site=site_code, rows=result)


def _add_usage(row: ReconcileRow, usage: UsageSession, charged: dict[int, int]) -> None:
    row.sessions += 1
    if usage.started_at is not None:
        row.used_from = min(filter(None, (row.used_from, usage.started_at)))
    if usage.ended_at is not None:
        row.used_until = max(filter(None, (row.used_until, usage.ended_at)))
    busy = float(usage.active_seconds)
    elapsed = (
        (usage.ended_at - usage.started_at).total_seconds()
        if usage.started_at is not None and usage.ended_at is not None
        else busy
    )
    row.busy_seconds += busy
    row.idle_seconds += max(elapsed - busy, 0.0)
    row.charged_cents += charged.get(usage.id or 0, 0)


def _booked_sessions(
    session: Session, booking_ids: Sequence[int]
) -> list[tuple[UsageSession, datetime]]:
    if not booking_ids:
        return []
    found = session.exec(
        select(UsageSession, Booking.ends_at)
        .join(Booking, col(Booking.id) == UsageSession.booking_id)
        .where(col(UsageSession.booking_id).in_(list(booking_ids)))
        .order_by(col(UsageSession.started_at), col(UsageSession.id))
    ).all()
    return [(usage, ends) for usage, ends in found]


def _unbooked_sessions(
    session: Session, start: datetime, end: datetime, site_id: int | None
) -> list[tuple[UsageSession, str | None, str, str]]:
    query = (
        select(UsageSession, Maker.member_number, Equipment.asset_tag, Site.code)
        .join(Equipment, col(Equipment.id) == UsageSession.equipment_id)
        .join(Site, col(Site.id) == Equipment.site_id)
        .outerjoin(Maker, col(Maker.id) == UsageSession.maker_id)
        .where(
            col(UsageSession.booking_id).is_(None),
            col(UsageSession.started_at) >= start,
            col(UsageSession.started_at) < end,
        )
        .order_by(col(UsageSession.started_at), col(UsageSession.id))
    )
    if site_id is not None:
        query = query.where(Equipment.site_id == site_id)
    return [(usage, member, tag, site) for usage, member, tag, site in session.exec(query).all()]


def _charged_cents(session: Session, usage_ids: Sequence[int | None]) -> dict[int, int]:
    """Per usage session: the total of its charges whose transaction was not reversed."""
    ids = [found for found in usage_ids if found is not None]
    if not ids:
        return {}
    reversed_ids = select(LedgerTransaction.reverses_id).where(
        col(LedgerTransaction.reverses_id).is_not(None)
    )
    totals: dict[int, int] = defaultdict(int)
    for usage_id, cents in session.exec(
        select(UsageCharge.usage_session_id, UsageCharge.total_cents).where(
            col(UsageCharge.usage_session_id).in_(ids),
            col(UsageCharge.transaction_id).not_in(reversed_ids),
        )
    ).all():
        totals[usage_id] += cents
    return dict(totals)


COLUMNS = (
    "booking_id",
    "state",
    "site",
    "machine",
    "maker",
    "booked_from",
    "booked_until",
    "booked_minutes",
    "sessions",
    "used_from",
    "used_until",
    "busy_minutes",
    "idle_minutes",
    "beyond_minutes",
    "charged_eur",
    "gaps",
)


def _minutes(seconds: float) -> str:
    return f"{Decimal(str(seconds)) / 60:.1f}"


def _instant(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def reconciliation_csv(report: Reconciliation) -> str:
    """The reconciliation as CSV (one line per booking, then one per session without booking)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        writer.writerow(
            [
                row.booking_id if row.booking_id is not None else "",
                row.state,
                row.site,
                row.machine,
                row.maker,
                _instant(row.booked_from),
                _instant(row.booked_until),
                _minutes(row.booked_seconds),
                row.sessions,
                _instant(row.used_from),
                _instant(row.used_until),
                _minutes(row.busy_seconds),
                _minutes(row.idle_seconds),
                _minutes(row.beyond_seconds),
                f"{Decimal(row.charged_cents) / 100:.2f}",
                " ".join(gap.value for gap in row.gaps),
            ]
        )
    return buffer.getvalue()
