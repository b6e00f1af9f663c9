"""The booking rules, pure: facts about a proposed booking in, the list of broken rules out.

Nothing here reads the database or the clock. `scheduling.facts` gathers the facts (`Facts`),
and `scheduling.bookings` raises `RuleViolation` with what `check` returns. Every code is listed
in docs/refusals.md; the templates are gettext msgids the kiosk translates, and their parameters
are plain values (names, numbers, ISO strings of local times).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fabdesk.errors import Localized, Violation
from fabdesk.models import EquipmentStatus

__all__ = [
    "Facts",
    "Interval",
    "OfferHold",
    "Policy",
    "Proposal",
    "check",
    "local_iso",
]


@dataclass(frozen=True)
class Policy:
    """The booking rules in force for one machine."""

    buffer: timedelta = timedelta(0)
    min_length: timedelta = timedelta(minutes=15)
    max_length: timedelta = timedelta(hours=4)
    max_days_ahead: int = 28
    check_in_before: timedelta = timedelta(minutes=15)
    check_in_after: timedelta = timedelta(minutes=15)
    cancel_cutoff: timedelta = timedelta(hours=2)
    max_hours_per_week: int = 12
    max_future_bookings: int = 5


@dataclass(frozen=True)
class Interval:
    starts_at: datetime
    ends_at: datetime

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        return self.starts_at < ends_at and starts_at < self.ends_at


@dataclass(frozen=True)
class OfferHold:
    """A freed slot offered to someone on the waitlist, held for them until `until`."""

    maker_id: int
    interval: Interval
    until: datetime


@dataclass(frozen=True)
class Proposal:
    maker_id: int
    equipment_id: int
    starts_at: datetime
    ends_at: datetime
    now: datetime
    extension: bool = False
    """Extending a booking that may already run: the start is not checked again."""


@dataclass(frozen=True)
class Facts:
    """Everything the rules need to know about the machine, the maker and the time."""

    machine_name: str
    bookable: bool
    status: EquipmentStatus
    category_name: str | Localized
    site_name: str
    timezone: str
    policy: Policy
    certified: bool
    training_name: str | Localized = ""
    """The category whose training the machine needs (its own category's name if empty)."""
    suspended_until: datetime | None = None
    lapsed_since: date | None = None
    """The maker's certification lapsed: last used (or granted) on this local day, more than
    `lapse_days` before the proposal's day."""
    lapse_days: int = 0
    """The category's "lapse after N days without use" (0: none)."""
    opening: Sequence[tuple[int, time, time]] = ()
    """Weekly opening windows of the site: (weekday 0 = Monday, opens, closes), local time."""
    closure: str | None = None
    """Why the site is closed that day (holiday name, reason), if it is."""
    holiday: bool = False
    """The closure is a public holiday (refused as `site_holiday`)."""
    maintenance: Sequence[Interval] = ()
    taken: Sequence[Interval] = ()
    """Live bookings of the machine overlapping the proposal: from their start to the end of
    their buffer."""
    offers: Sequence[OfferHold] = ()
    booked_in_week: timedelta = timedelta(0)
    """What the maker already booked in the category in the ISO week of the proposal."""
    future_bookings: int = 0
    """The maker's live bookings still to come in the category."""
    extra: list[Violation] = field(default_factory=list)


def local_iso(instant: datetime, timezone: str) -> str:
    """An instant as local wall-clock time, ISO 8601 to the minute (how the kiosk shows it)."""
    return instant.astimezone(ZoneInfo(timezone)).isoformat(timespec="minutes")


def check(proposal: Proposal, facts: Facts) -> list[Violation]:
    """Every rule the proposal breaks (empty: it may be booked)."""
    p, f = proposal, facts
    tz = ZoneInfo(f.timezone)
    out: list[Violation] = list(f.extra)
    machine = {"machine": f.machine_name}
    if p.starts_at >= p.ends_at:
        return [
            Violation("invalid_time_range", "A booking must end after it starts.", {}),
        ]
    if not f.bookable:
        out.append(Violation("not_bookable", "{machine} cannot be booked.", machine))
    elif f.status is EquipmentStatus.TO_CHECK:
        out.append(to_check(f.machine_name))
    elif f.status is not EquipmentStatus.IN_SERVICE:
        out.append(
            Violation(
                "machine_unavailable",
                "{machine} is not in service ({status}) and cannot be booked.",
                {**machine, "status": f.status.value},
            )
        )
    if not f.certified:
        out.append(
            Violation(
                "not_certified",
                "You need a valid {category} certification on {day} to book {machine}.",
                {
                    **machine,
                    "category": f.training_name or f.category_name,
                    "day": p.starts_at.astimezone(tz).date().isoformat(),
                },
            )
        )
    elif f.lapsed_since is not None:
        out.append(
            Violation(
                "training_lapsed",
                "Your {category} training lapsed: unused since {since} "
                "(it lapses after {days} days without use).",
                {
                    "category": f.training_name or f.category_name,
                    "since": f.lapsed_since.isoformat(),
                    "days": f.lapse_days,
                },
            )
        )
    if f.suspended_until is not None and not p.extension:
        out.append(
            Violation(
                "maker_suspended",
                "Your bookings are suspended until {until}.",
                {"until": local_iso(f.suspended_until, f.timezone)},
            )
        )
    if not p.extension:
        out.extend(_time_rules(p, f))
    length = p.ends_at - p.starts_at
    if length < f.policy.min_length and not p.extension:
        out.append(
            Violation(
                "too_short",
                "A booking of {machine} lasts at least {minutes} minutes.",
                {**machine, "minutes": int(f.policy.min_length.total_seconds() // 60)},
            )
        )
    if length > f.policy.max_length:
        out.append(
            Violation(
                "too_long",
                "A booking of {machine} lasts at most {minutes} minutes.",
                {**machine, "minutes": int(f.policy.max_length.total_seconds() // 60)},
            )
        )
    out.extend(_opening_rules(p, f, tz))
    for window in f.maintenance:
        if window.overlaps(p.starts_at, p.ends_at):
            out.append(
                Violation(
                    "maintenance_window",
                    "{machine} is under maintenance from {starts_at} to {ends_at}.",
                    {
                        **machine,
                        "starts_at": local_iso(window.starts_at, f.timezone),
                        "ends_at": local_iso(window.ends_at, f.timezone),
                    },
                )
            )
            break
    blocked_until = p.ends_at + f.policy.buffer
    for taken in f.taken:
        if taken.overlaps(p.starts_at, blocked_until):
            out.append(slot_taken(f.machine_name, taken, f.timezone))
            break
    for offer in f.offers:
        if offer.maker_id != p.maker_id and offer.interval.overlaps(p.starts_at, blocked_until):
            out.append(
                Violation(
                    "slot_offered",
                    "This time on {machine} is offered to someone on the waitlist until {until}.",
                    {**machine, "until": local_iso(offer.until, f.timezone)},
                )
            )
            break
    out.extend(_quota_rules(p, f, length))
    return out


def to_check(machine_name: str) -> Violation:
    """The refusal while a machine waits for its check after use (booking, walk-in, check-in)."""
    return Violation(
        "machine_to_check",
        "{machine} must be checked by a manager or trainer after its last use.",
        {"machine": machine_name},
    )


def slot_taken(machine_name: str, taken: Interval, timezone: str) -> Violation:
    """The refusal every loser of a race for one slot gets (also raised from the database)."""
    return Violation(
        "slot_taken",
        "{machine} is already booked from {starts_at} until {ends_at}.",
        {
            "machine": machine_name,
            "starts_at": local_iso(taken.starts_at, timezone),
            "ends_at": local_iso(taken.ends_at, timezone),
        },
    )


def _time_rules(p: Proposal, f: Facts) -> list[Violation]:
    out: list[Violation] = []
    # A minute of slack: a walk-in starts "now", rounded to the minute by the caller.
    if p.starts_at < p.now - timedelta(minutes=1):
        out.append(
            Violation(
                "in_the_past",
                "A booking cannot start in the past ({starts_at}).",
                {"starts_at": local_iso(p.starts_at, f.timezone)},
            )
        )
    if p.starts_at > p.now + timedelta(days=f.policy.max_days_ahead):
        out.append(
            Violation(
                "too_far_ahead",
                "{machine} can be booked at most {days} days ahead.",
                {"machine": f.machine_name, "days": f.policy.max_days_ahead},
            )
        )
    return out


def _opening_rules(p: Proposal, f: Facts, tz: ZoneInfo) -> list[Violation]:
    local_start = p.starts_at.astimezone(tz)
    local_end = p.ends_at.astimezone(tz)
    day = local_start.date()
    if f.closure is not None and f.holiday:
        return [
            Violation(
                "site_holiday",
                "{site} is closed on {day}, a public holiday: {holiday}.",
                {"site": f.site_name, "day": day.isoformat(), "holiday": f.closure},
            )
        ]
    if f.closure is not None:
        return [
            Violation(
                "site_closed",
                "{site} is closed on {day}: {reason}.",
                {"site": f.site_name, "day": day.isoformat(), "reason": f.closure},
            )
        ]
    if within_opening_hours(local_start, local_end, f.opening):
        return []
    return [
        Violation(
            "outside_opening_hours",
            "{site} is not open for the whole time from {starts_at} to {ends_at}.",
            {
                "site": f.site_name,
                "starts_at": local_iso(p.starts_at, f.timezone),
                "ends_at": local_iso(p.ends_at, f.timezone),
            },
        )
    ]


def within_opening_hours(
    local_start: datetime, local_end: datetime, opening: Sequence[tuple[int, time, time]]
) -> bool:
    """Whether [local_start, local_end) lies inside one opening window of one local day."""
    day = local_start.date()
    if local_end.date() != day and not (
        local_end.date() == day + timedelta(days=1) and local_end.time() == time(0)
    ):
        return False
    start_t = local_start.time()
    end_t = local_end.time() if local_end.date() == day else time.max
    return any(
        weekday == day.weekday() and opens <= start_t and end_t <= closes
        for weekday, opens, closes in opening
    )


def _quota_rules(p: Proposal, f: Facts, length: timedelta) -> list[Violation]:
    out: list[Violation] = []
    hours = f.policy.max_hours_per_week
    if hours and f.booked_in_week + length > timedelta(hours=hours):
        out.append(
            Violation(
                "weekly_quota",
                "You may book at most {hours} hours of {category} a week; "
                "you already have {booked} hours that week.",
                {
                    "hours": hours,
                    "category": f.category_name,
                    "booked": round(f.booked_in_week.total_seconds() / 3600, 2),
                },
            )
        )
    count = f.policy.max_future_bookings
    if count and not p.extension and f.future_bookings + 1 > count:
        out.append(
            Violation(
                "future_quota",
                "You may have at most {count} bookings of {category} to come.",
                {"count": count, "category": f.category_name},
            )
        )
    return out


def iso_week_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The UTC instants where the local ISO week holding `day` starts and ends."""
    tz = ZoneInfo(timezone)
    monday = day - timedelta(days=day.weekday())
    start = datetime.combine(monday, time(0), tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tz)
    return start, end


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The instants where a local day starts and ends (23 or 25 hours apart on DST days)."""
    tz = ZoneInfo(timezone)
    return datetime.combine(day, time(0), tz), datetime.combine(
        day + timedelta(days=1), time(0), tz
    )
