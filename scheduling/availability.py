"""Availability: the free slots of machines, the next free slot of a category, a site's day board.

Results are plain frozen dataclasses (the kiosk and the API draw them). Instants are UTC-aware;
`local_iso` shows them in the site's timezone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.errors import NotFound
from fabdesk.models import (
    LIVE_STATES,
    Booking,
    BookingPolicy,
    BookingState,
    Equipment,
    EquipmentCategory,
    EquipmentStatus,
    MaintenanceWindow,
    OpeningHours,
    Site,
    SiteClosure,
    id_of,
)
from fabdesk.settings import SchedulerSettings
from scheduling import rules

__all__ = [
    "Board",
    "BoardBlock",
    "BoardMachine",
    "FreeSlot",
    "free_slots",
    "free_slots_of_category",
    "next_free_slot",
    "site_board",
]

_DEFAULTS = SchedulerSettings()


def rows(*columns: Any) -> Any:
    """A select of plain columns (SQLModel's typed `select` stops at four)."""
    return sa.select(*columns)


_LONGEST = timedelta(days=2)
"""Bookings never last longer: bounds range queries so the (equipment_id, starts_at) index
serves them."""


@dataclass(frozen=True)
class BoardBlock:
    """One stretch of a machine's day that is not free."""

    starts_at: datetime
    ends_at: datetime
    kind: str
    """booking, buffer, maintenance."""
    booking_id: int | None = None
    state: BookingState | None = None
    maker_id: int | None = None


@dataclass(frozen=True)
class BoardMachine:
    equipment_id: int
    asset_tag: str
    name: str
    category_code: str
    status: EquipmentStatus
    bookable: bool
    blocks: tuple[BoardBlock, ...]


@dataclass(frozen=True)
class Board:
    """A site's day: every machine and what holds it; `opening` are the open hours (UTC)."""

    site_code: str
    site_name: str
    day: date
    timezone: str
    closed: str | None
    opening: tuple[tuple[datetime, datetime], ...]
    machines: tuple[BoardMachine, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class FreeSlot:
    """A free stretch of one machine: a booking may start at `starts_at` and end by `ends_at`."""

    equipment_id: int
    name: str
    site_code: str
    starts_at: datetime
    ends_at: datetime


def _opening_intervals(
    day: date, timezone: str, hours: Iterable[tuple[int, time, time]]
) -> list[tuple[datetime, datetime]]:
    tz = ZoneInfo(timezone)
    return sorted(
        (datetime.combine(day, opens, tz), datetime.combine(day, closes, tz))
        for weekday, opens, closes in hours
        if weekday == day.weekday()
    )


def _closure(session: Session, site_id: int, day: date) -> str | None:
    row = session.exec(
        select(SiteClosure.reason, SiteClosure.holiday).where(
            SiteClosure.site_id == site_id,
            SiteClosure.first_day <= day,
            SiteClosure.last_day >= day,
        )
    ).first()
    if row is None:
        return None
    return row[0] or ("public holiday" if row[1] else "closed")


def _site(session: Session, site_code: str) -> Site:
    site = session.exec(select(Site).where(Site.code == site_code)).first()
    if site is None:
        raise NotFound("No site with code {code}.", code=site_code)
    return site


def site_board(session: Session, site_code: str, day: date) -> Board:
    """Every machine of a site and what holds it on a local day (bookings, buffers, maintenance)."""
    site = _site(session, site_code)
    site_id = id_of(site)
    start, end = rules.day_bounds(day, site.timezone)
    hours = session.execute(
        rows(OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes).where(
            OpeningHours.site_id == site_id, OpeningHours.weekday == day.weekday()
        )
    ).all()
    machines = session.execute(
        rows(
            Equipment.id,
            Equipment.asset_tag,
            Equipment.name,
            EquipmentCategory.code,
            Equipment.status,
            Equipment.bookable,
        )
        .join(EquipmentCategory, col(EquipmentCategory.id) == Equipment.category_id)
        .where(Equipment.site_id == site_id)
        .order_by(col(EquipmentCategory.code), col(Equipment.asset_tag))
    ).all()
    ids = [m[0] for m in machines if m[0] is not None]
    blocks: dict[int, list[BoardBlock]] = defaultdict(list)
    if ids:
        for bid, eid, s, e, blocked, state, maker in session.execute(
            rows(
                Booking.id,
                Booking.equipment_id,
                Booking.starts_at,
                Booking.ends_at,
                Booking.blocked_until,
                Booking.state,
                Booking.maker_id,
            )
            .where(
                col(Booking.equipment_id).in_(ids),
                col(Booking.starts_at) >= start - _LONGEST,
                col(Booking.starts_at) < end,
                col(Booking.blocked_until) > start,
                col(Booking.state).in_([*LIVE_STATES, BookingState.COMPLETED]),
            )
            .order_by(col(Booking.starts_at))
        ):
            blocks[eid].append(BoardBlock(s, e, "booking", bid, state, maker))
            if blocked > e and state in LIVE_STATES:
                blocks[eid].append(BoardBlock(e, blocked, "buffer", bid, state, maker))
        for eid, s, e in session.exec(
            select(
                MaintenanceWindow.equipment_id,
                MaintenanceWindow.starts_at,
                MaintenanceWindow.ends_at,
            ).where(
                col(MaintenanceWindow.equipment_id).in_(ids),
                col(MaintenanceWindow.starts_at) < end,
                col(MaintenanceWindow.ends_at) > start,
            )
        ):
            blocks[eid].append(BoardBlock(s, e, "maintenance"))
    return Board(
        site_code=site.code,
        site_name=site.name,
        day=day,
        timezone=site.timezone,
        closed=_closure(session, site_id, day),
        opening=tuple(_opening_intervals(day, site.timezone, hours)),
        machines=tuple(
            BoardMachine(
                equipment_id=eid,
                asset_tag=tag,
                name=name,
                category_code=code,
                status=status,
                bookable=bookable,
                blocks=tuple(sorted(blocks.get(eid, []), key=lambda b: b.starts_at)),
            )
            for eid, tag, name, code, status, bookable in machines
            if eid is not None
        ),
    )


@dataclass(frozen=True)
class _Candidate:
    equipment_id: int
    name: str
    site_id: int
    site_code: str
    timezone: str
    buffer: timedelta


def _candidates(
    session: Session,
    *,
    equipment_id: int | None = None,
    category_code: str | None = None,
    site_code: str | None = None,
    settings: SchedulerSettings | None = None,
) -> list[_Candidate]:
    query = (
        rows(
            Equipment.id,
            Equipment.name,
            Equipment.site_id,
            Site.code,
            Site.timezone,
            Equipment.category_id,
        )
        .join(Site, col(Site.id) == Equipment.site_id)
        .join(EquipmentCategory, col(EquipmentCategory.id) == Equipment.category_id)
        .where(col(Equipment.bookable), Equipment.status == EquipmentStatus.IN_SERVICE)
    )
    if equipment_id is not None:
        query = query.where(Equipment.id == equipment_id)
    if category_code is not None:
        query = query.where(EquipmentCategory.code == category_code)
    if site_code is not None:
        query = query.where(Site.code == site_code)
    found = session.execute(query.order_by(col(Site.code), col(Equipment.id))).all()
    if not found:
        return []
    default_buffer = (settings or _DEFAULTS).booking.buffer_minutes
    buffers_by_machine: dict[int, int] = {}
    buffers_by_category: dict[int, int] = {}
    for policy in session.exec(select(BookingPolicy)):
        if policy.equipment_id is not None:
            buffers_by_machine[policy.equipment_id] = policy.buffer_minutes
        elif policy.category_id is not None:
            buffers_by_category[policy.category_id] = policy.buffer_minutes
    return [
        _Candidate(
            eid,
            name,
            site_id,
            code,
            tz,
            timedelta(
                minutes=buffers_by_machine.get(
                    eid, buffers_by_category.get(category_id, default_buffer)
                )
            ),
        )
        for eid, name, site_id, code, tz, category_id in found
        if eid is not None
    ]


def _free_in_day(
    session: Session,
    candidates: Sequence[_Candidate],
    day: date,
    *,
    hours_by_site: dict[int, list[tuple[int, time, time]]],
    not_before: datetime | None,
    length: timedelta,
) -> list[FreeSlot]:
    """Free slots of the candidates on one local day (all of one timezone per site)."""
    if not candidates:
        return []
    site_ids = {c.site_id for c in candidates}
    closed = set(
        session.exec(
            select(SiteClosure.site_id).where(
                col(SiteClosure.site_id).in_(site_ids),
                SiteClosure.first_day <= day,
                SiteClosure.last_day >= day,
            )
        ).all()
    )
    open_candidates = [c for c in candidates if c.site_id not in closed]
    if not open_candidates:
        return []
    timezones = {c.timezone for c in open_candidates}
    bounds = [rules.day_bounds(day, tz) for tz in timezones]
    start = min(b[0] for b in bounds)
    end = max(b[1] for b in bounds)
    ids = [c.equipment_id for c in open_candidates]
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for eid, s, blocked in session.exec(
        select(Booking.equipment_id, Booking.starts_at, Booking.blocked_until).where(
            col(Booking.equipment_id).in_(ids),
            col(Booking.starts_at) >= start - _LONGEST,
            col(Booking.starts_at) < end,
            col(Booking.blocked_until) > start,
            col(Booking.state).in_(LIVE_STATES),
        )
    ):
        busy[eid].append((s, blocked))
    for eid, s, e in session.exec(
        select(
            MaintenanceWindow.equipment_id, MaintenanceWindow.starts_at, MaintenanceWindow.ends_at
        ).where(
            col(MaintenanceWindow.equipment_id).in_(ids),
            col(MaintenanceWindow.starts_at) < end,
            col(MaintenanceWindow.ends_at) > start,
        )
    ):
        busy[eid].append((s, e))
    out: list[FreeSlot] = []
    for c in open_candidates:
        taken = sorted(busy.get(c.equipment_id, []))
        for opens, closes in _opening_intervals(day, c.timezone, hours_by_site.get(c.site_id, [])):
            cursor = opens if not_before is None else max(opens, not_before)
            for s, e in taken:
                if e <= cursor or s >= closes:
                    continue
                # A new booking must end, buffer included, before the next one starts.
                if s - cursor >= length + c.buffer:
                    out.append(FreeSlot(c.equipment_id, c.name, c.site_code, cursor, s - c.buffer))
                cursor = max(cursor, e)
            if closes - cursor >= length:
                out.append(FreeSlot(c.equipment_id, c.name, c.site_code, cursor, closes))
    return out


def _hours_by_site(
    session: Session, site_ids: Iterable[int]
) -> dict[int, list[tuple[int, time, time]]]:
    hours: dict[int, list[tuple[int, time, time]]] = defaultdict(list)
    for site_id, weekday, opens, closes in session.execute(
        rows(
            OpeningHours.site_id, OpeningHours.weekday, OpeningHours.opens, OpeningHours.closes
        ).where(col(OpeningHours.site_id).in_(list(site_ids)))
    ):
        hours[site_id].append((weekday, opens, closes))
    return hours


def free_slots(
    session: Session,
    equipment_id: int,
    day: date,
    *,
    length: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
    settings: SchedulerSettings | None = None,
) -> list[FreeSlot]:
    """The free stretches of one machine on a local day, each long enough for `length`."""
    candidates = _candidates(session, equipment_id=equipment_id, settings=settings)
    hours = _hours_by_site(session, {c.site_id for c in candidates})
    return _free_in_day(
        session, candidates, day, hours_by_site=hours, not_before=now, length=length
    )


def free_slots_of_category(
    session: Session,
    category_code: str,
    day: date,
    *,
    site_code: str | None = None,
    length: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
    settings: SchedulerSettings | None = None,
) -> list[FreeSlot]:
    """The free stretches of every machine of a category, at one site or across all sites."""
    candidates = _candidates(
        session, category_code=category_code, site_code=site_code, settings=settings
    )
    hours = _hours_by_site(session, {c.site_id for c in candidates})
    slots = _free_in_day(
        session, candidates, day, hours_by_site=hours, not_before=now, length=length
    )
    return sorted(slots, key=lambda s: (s.starts_at, s.site_code, s.equipment_id))


def next_free_slot(
    session: Session,
    category_code: str,
    length: timedelta,
    now: datetime,
    site: str | None = None,
    *,
    days: int = 28,
    settings: SchedulerSettings | None = None,
) -> FreeSlot | None:
    """The earliest free slot of `length` on any machine of a category (one site or all), from
    `now` (rounded up to the quarter hour) and within `days`; None if there is none."""
    candidates = _candidates(
        session, category_code=category_code, site_code=site, settings=settings
    )
    if not candidates:
        return None
    hours = _hours_by_site(session, {c.site_id for c in candidates})
    quarter = timedelta(minutes=15)
    epoch = datetime(2000, 1, 1, tzinfo=now.tzinfo)
    not_before = epoch + -((epoch - now) // quarter) * quarter
    by_zone: dict[str, list[_Candidate]] = defaultdict(list)
    for c in candidates:
        by_zone[c.timezone].append(c)
    first_day = min(now.astimezone(ZoneInfo(tz)).date() for tz in by_zone)
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        slots = _free_in_day(
            session, candidates, day, hours_by_site=hours, not_before=not_before, length=length
        )
        if slots:
            best = min(slots, key=lambda s: (s.starts_at, s.site_code, s.equipment_id))
            return FreeSlot(
                best.equipment_id,
                best.name,
                best.site_code,
                best.starts_at,
                best.starts_at + length,
            )
    return None
