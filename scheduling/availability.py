"""Availability: the free slots of machines, the next free slot of a category, a site's day board.

Results are plain frozen dataclasses (the kiosk and the API draw them). Instants are UTC-aware;
`local_iso` shows them in the site's timezone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from fabdesk.errors import NotFound
from fabdesk.models import (
    LIVE_STATES,
    BookingState,
    EquipmentStatus,
)
from fabdesk.settings import SchedulerSettings
from scheduling import rules
from scheduling._sql import fetch, instant, param

__all__ = [
    "Board",
    "BoardBlock",
    "BoardMachine",
    "FreeSlot",
    "free_slots",
    "free_slots_of_category",
    "next_free_slot",
    "site_board",
    "today_at",
]


def today_at(
    session: Session,
    now: datetime,
    *,
    site_code: str | None = None,
    equipment_id: int | None = None,
) -> date:
    """Today in the timezone of a site (by code) or of a machine's site: a board asked for with
    no day at 00:30 in Brussels shows that Brussels day, not the UTC one."""
    rows = fetch(
        session,
        "SELECT s.timezone FROM sites s LEFT JOIN equipment e ON e.site_id = s.id "
        "WHERE s.code = :code OR e.id = :equipment",
        code=site_code or "",
        equipment=-1 if equipment_id is None else equipment_id,
    )
    if not rows:
        raise NotFound("No site with code {code}.", code=site_code, error_code="site_not_found")
    return now.astimezone(ZoneInfo(rows[0][0])).date()


_LONGEST = timedelta(days=1)
"""A booking lies within one day's opening hours, so one overlapping a day starts at most a day
before: bounds range scans so the (equipment_id, starts_at) index serves them."""


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


_SITE_DAY_SQL = """
SELECT s.id, s.code, s.name, s.timezone,
    (SELECT CASE WHEN reason <> '' THEN reason WHEN holiday THEN 'public holiday'
        ELSE 'closed' END
     FROM site_closures WHERE site_id = s.id AND first_day <= :day AND last_day >= :day LIMIT 1),
    h.opens, h.closes
FROM sites s LEFT JOIN opening_hours h ON h.site_id = s.id AND h.weekday = :weekday
WHERE s.code = :code
"""
_SITE_MACHINES_SQL = """
SELECT e.id, e.asset_tag, e.name, c.code, e.status, e.bookable
FROM equipment e JOIN equipment_categories c ON c.id = e.category_id
WHERE e.site_id = :site ORDER BY c.code, e.asset_tag
"""
_SITE_BLOCKS_SQL = """
SELECT 'booking', b.equipment_id, b.starts_at, b.ends_at, b.blocked_until, b.id, b.state, b.maker_id
FROM equipment e JOIN bookings b ON b.equipment_id = e.id
WHERE e.site_id = :site AND b.starts_at >= :low AND b.starts_at < :end
    AND b.blocked_until > :start AND b.state IN ('booked', 'checked_in', 'completed')
UNION ALL
SELECT 'maintenance', m.equipment_id, m.starts_at, m.ends_at, m.ends_at, NULL, NULL, NULL
FROM equipment e JOIN maintenance_windows m ON m.equipment_id = e.id
WHERE e.site_id = :site AND m.starts_at < :end AND m.ends_at > :start
"""


def _day_param(session: Session, day: date) -> object:
    return day.isoformat() if session.get_bind().dialect.name == "sqlite" else day


def _clock(value: object) -> time:
    if isinstance(value, str):
        return time.fromisoformat(value)
    assert isinstance(value, time)
    return value


def site_board(session: Session, site_code: str, day: date) -> Board:
    """Every machine of a site and what holds it on a local day (bookings, buffers, maintenance)."""
    found = fetch(
        session,
        _SITE_DAY_SQL,
        code=site_code,
        day=_day_param(session, day),
        weekday=day.weekday(),
    )
    if not found:
        raise NotFound("No site with code {code}.", code=site_code, error_code="site_not_found")
    site_id, code, name, timezone, closure, _, _ = found[0]
    start, end = rules.day_bounds(day, timezone)
    hours = [
        (day.weekday(), _clock(opens), _clock(closes))
        for *_, opens, closes in found
        if opens is not None
    ]
    blocks: dict[int, list[BoardBlock]] = defaultdict(list)
    for kind, eid, s, e, blocked, bid, state, maker in fetch(
        session,
        _SITE_BLOCKS_SQL,
        site=site_id,
        low=param(session, start - _LONGEST),
        start=param(session, start),
        end=param(session, end),
    ):
        starts_at, ends_at = instant(s), instant(e)
        if kind == "maintenance":
            blocks[eid].append(BoardBlock(starts_at, ends_at, "maintenance"))
            continue
        booking_state = BookingState(state)
        blocks[eid].append(BoardBlock(starts_at, ends_at, "booking", bid, booking_state, maker))
        held = instant(blocked)
        if held > ends_at and booking_state in LIVE_STATES:
            blocks[eid].append(BoardBlock(ends_at, held, "buffer", bid, booking_state, maker))
    return Board(
        site_code=code,
        site_name=name,
        day=day,
        timezone=timezone,
        closed=closure,
        opening=tuple(_opening_intervals(day, timezone, hours)),
        machines=tuple(
            BoardMachine(
                equipment_id=eid,
                asset_tag=tag,
                name=machine_name,
                category_code=category,
                status=EquipmentStatus(status),
                bookable=bool(bookable),
                blocks=tuple(sorted(blocks.get(eid, []), key=lambda b: b.starts_at)),
            )
            for eid, tag, machine_name, category, status, bookable in fetch(
                session, _SITE_MACHINES_SQL, site=site_id
            )
        ),
    )


_BUSY_SQL = """
SELECT b.equipment_id, b.starts_at, b.blocked_until
FROM equipment e JOIN bookings b ON b.equipment_id = e.id
WHERE e.category_id = :category AND b.starts_at >= :low AND b.starts_at < :end
    AND b.blocked_until > :start AND b.state IN ('booked', 'checked_in')
UNION ALL
SELECT m.equipment_id, m.starts_at, m.ends_at
FROM equipment e JOIN maintenance_windows m ON m.equipment_id = e.id
WHERE e.category_id = :category AND m.starts_at < :end AND m.ends_at > :start
"""


@dataclass(frozen=True)
class _Candidate:
    equipment_id: int
    category_id: int
    name: str
    site_id: int
    site_code: str
    timezone: str
    buffer: timedelta


_CANDIDATES_SQL = """
SELECT e.id, e.category_id, e.name, e.site_id, s.code, s.timezone,
    COALESCE(pm.buffer_minutes, pc.buffer_minutes)
FROM equipment e
JOIN sites s ON s.id = e.site_id
JOIN equipment_categories c ON c.id = e.category_id
LEFT JOIN booking_policies pm ON pm.equipment_id = e.id
LEFT JOIN booking_policies pc ON pc.category_id = e.category_id
WHERE e.bookable AND e.status = 'in_service'
    AND (CAST(:equipment AS INTEGER) IS NULL OR e.id = :equipment)
    AND (CAST(:category AS VARCHAR) IS NULL OR c.code = :category)
    AND (CAST(:site AS VARCHAR) IS NULL OR s.code = :site)
ORDER BY s.code, e.id
"""


def _candidates(
    session: Session,
    *,
    equipment_id: int | None = None,
    category_code: str | None = None,
    site_code: str | None = None,
    settings: SchedulerSettings,
) -> list[_Candidate]:
    default_buffer = settings.booking.buffer_minutes
    return [
        _Candidate(
            eid,
            category_id,
            name,
            site_id,
            code,
            tz,
            timedelta(minutes=default_buffer if buffer is None else buffer),
        )
        for eid, category_id, name, site_id, code, tz, buffer in fetch(
            session,
            _CANDIDATES_SQL,
            equipment=equipment_id,
            category=category_code,
            site=site_code,
        )
    ]


def _free_in_day(
    session: Session,
    candidates: Sequence[_Candidate],
    day: date,
    *,
    hours_by_site: dict[int, list[tuple[int, time, time]]],
    closed_days: set[tuple[int, date]],
    not_before: datetime | None,
    length: timedelta,
) -> list[FreeSlot]:
    """Free slots of the candidates on one local day (all of one timezone per site)."""
    weekday = day.weekday()
    open_candidates = [
        c
        for c in candidates
        if (c.site_id, day) not in closed_days
        and any(h[0] == weekday for h in hours_by_site.get(c.site_id, []))
    ]
    if not open_candidates:
        return []
    timezones = {c.timezone for c in open_candidates}
    bounds = [rules.day_bounds(day, tz) for tz in timezones]
    start = min(b[0] for b in bounds)
    end = max(b[1] for b in bounds)
    wanted = {c.equipment_id for c in open_candidates}
    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for eid, s, blocked in fetch(
        session,
        _BUSY_SQL,
        category=open_candidates[0].category_id,
        low=param(session, start - _LONGEST),
        start=param(session, start),
        end=param(session, end),
    ):
        if eid in wanted:
            busy[eid].append((instant(s), instant(blocked)))
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


_CLOSURES_SQL = """
SELECT site_id, first_day, last_day FROM site_closures
WHERE first_day <= :last AND last_day >= :first
"""


def _closed_days(
    session: Session, site_ids: Iterable[int], first: date, last: date
) -> set[tuple[int, date]]:
    """(site, day) pairs between `first` and `last` when a site is closed, in one query."""
    wanted = set(site_ids)
    closed: set[tuple[int, date]] = set()
    for site_id, first_day, last_day in fetch(
        session, _CLOSURES_SQL, first=_day_param(session, first), last=_day_param(session, last)
    ):
        if site_id not in wanted:
            continue
        day = max(_as_date(first_day), first)
        while day <= min(_as_date(last_day), last):
            closed.add((site_id, day))
            day += timedelta(days=1)
    return closed


def _as_date(value: object) -> date:
    if isinstance(value, str):
        return date.fromisoformat(value)
    assert isinstance(value, date)
    return value


def _hours_by_site(
    session: Session, site_ids: Iterable[int]
) -> dict[int, list[tuple[int, time, time]]]:
    wanted = set(site_ids)
    hours: dict[int, list[tuple[int, time, time]]] = defaultdict(list)
    for site_id, weekday, opens, closes in fetch(
        session, "SELECT site_id, weekday, opens, closes FROM opening_hours"
    ):
        if site_id in wanted:
            hours[site_id].append((weekday, _clock(opens), _clock(closes)))
    return hours


def _free_on_day(
    session: Session,
    candidates: Sequence[_Candidate],
    day: date,
    *,
    not_before: datetime | None,
    length: timedelta,
) -> list[FreeSlot]:
    """`_free_in_day` for one day, its sites' opening hours and closures read for it."""
    sites = {c.site_id for c in candidates}
    return _free_in_day(
        session,
        candidates,
        day,
        hours_by_site=_hours_by_site(session, sites),
        closed_days=_closed_days(session, sites, day, day),
        not_before=not_before,
        length=length,
    )


def free_slots(
    session: Session,
    equipment_id: int,
    day: date,
    *,
    length: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
    settings: SchedulerSettings,
) -> list[FreeSlot]:
    """The free stretches of one machine on a local day, each long enough for `length`."""
    candidates = _candidates(session, equipment_id=equipment_id, settings=settings)
    return _free_on_day(session, candidates, day, not_before=now, length=length)


def free_slots_of_category(
    session: Session,
    category_code: str,
    day: date,
    *,
    site_code: str | None = None,
    length: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
    settings: SchedulerSettings,
) -> list[FreeSlot]:
    """The free stretches of every machine of a category, at one site or across all sites."""
    candidates = _candidates(
        session, category_code=category_code, site_code=site_code, settings=settings
    )
    slots = _free_on_day(session, candidates, day, not_before=now, length=length)
    return sorted(slots, key=lambda s: (s.starts_at, s.site_code, s.equipment_id))


def next_free_slot(
    session: Session,
    category_code: str,
    length: timedelta,
    now: datetime,
    site: str | None = None,
    *,
    days: int = 28,
    settings: SchedulerSettings,
    equipment_id: int | None = None,
) -> FreeSlot | None:
    """The earliest free slot of `length` on any machine of a category (one site or all; or
    the one machine `equipment_id`), from `now` (rounded up to the quarter hour) and within
    `days`; None if there is none."""
    candidates = _candidates(
        session,
        equipment_id=equipment_id,
        category_code=category_code,
        site_code=site,
        settings=settings,
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
    closed = _closed_days(
        session, {c.site_id for c in candidates}, first_day, first_day + timedelta(days=days)
    )
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        slots = _free_in_day(
            session,
            candidates,
            day,
            hours_by_site=hours,
            closed_days=closed,
            not_before=not_before,
            length=length,
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
