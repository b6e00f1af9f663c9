"""The date a back-office command acts on (`--date`): the clock is the caller's, checked here."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from fabdesk.accounting.ledger import last_closed_month
from fabdesk.accounting.months import local_day, month_of, start_of_day
from fabdesk.errors import Conflict, InvalidValue

__all__ = ["as_of"]


def as_of(session: Session, day: date, *, now: datetime, zone: ZoneInfo) -> datetime:
    """The instant a back-office run dated `day` acts at: the end of that day in `zone` (the
    ledger's; `now` when it is today). A day after today is refused, and so is a day of a closed
    month (nothing can be booked in it any more)."""
    today = local_day(now, zone)
    if day > today:
        raise InvalidValue(
            "{day} is in the future: give today or an earlier day.",
            day=day.isoformat(),
            error_code="future_date",
        )
    last_closed = last_closed_month(session)
    if last_closed is not None and month_of(day) <= last_closed:
        raise Conflict(
            "The month {month} is closed: nothing can be booked in it.",
            month=month_of(day),
            error_code="period_closed",
        )
    if day == today:
        return now
    return start_of_day(day + timedelta(days=1), zone) - timedelta(microseconds=1)
