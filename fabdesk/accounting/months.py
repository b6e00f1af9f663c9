"""The ledger's calendar: days and months in the configured zone (`scheduler.timezone`, or a
machine's site's), as UTC bounds, and months as typed (`2026-11`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fabdesk.errors import InvalidValue
from fabdesk.settings import SchedulerSettings

__all__ = [
    "ledger_zone",
    "local_day",
    "month_bounds",
    "month_of",
    "next_month",
    "parse_month",
    "previous_day",
    "start_of_day",
]

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def ledger_zone(scheduler: SchedulerSettings) -> ZoneInfo:
    """The configured zone of the ledger's days and months: the network's (`scheduler.timezone`).
    Each caller passes it on (`zone=`); a usage's day is that of its machine's site."""
    return ZoneInfo(scheduler.timezone)


def parse_month(text: str) -> str:
    """`2026-11` checked and returned; anything else is refused with what to type."""
    if not _MONTH.match(text.strip()):
        raise InvalidValue(
            "{text!r} is not a month: write it as YYYY-MM, e.g. 2026-11.",
            text=text,
            error_code="month",
        )
    return text.strip()


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of an aware instant in `zone`."""
    return moment.astimezone(zone).date()


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + (number == 12):04d}-{number % 12 + 1:02d}"


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of a day in `zone`, as an aware UTC instant."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where a month of `zone`'s calendar starts and ends (end excluded)."""
    first = date.fromisoformat(f"{parse_month(month)}-01")
    after = date.fromisoformat(f"{next_month(month)}-01")
    return start_of_day(first, zone), start_of_day(after, zone)


def previous_day(day: date) -> date:
    return day - timedelta(days=1)
