"""Which days a site is open: the next open day after a closed one, with its hours (what the
kiosk's day picker says on a closed day), and the open days of a stretch (its week strip)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session

from fabdesk.errors import NotFound
from scheduling._sql import fetch
from scheduling.availability import _closed_days, _hours_by_site, _opening_intervals

__all__ = ["OpenDay", "open_days"]


@dataclass(frozen=True)
class OpenDay:
    """A local day on which the site opens, and its open hours (aware, in the site's zone)."""

    day: date
    opening: tuple[tuple[datetime, datetime], ...]


def open_days(session: Session, site_code: str, first: date, last: date) -> list[OpenDay]:
    """The days from `first` to `last` (both included) on which the site opens: its weekly
    hours, less its closures and holidays."""
    found = fetch(session, "SELECT id, timezone FROM sites WHERE code = :code", code=site_code)
    if not found:
        raise NotFound("No site with code {code}.", code=site_code, error_code="site_not_found")
    site_id, timezone = found[0]
    hours = _hours_by_site(session, {site_id}).get(site_id, [])
    closed = _closed_days(session, {site_id}, first, last)
    days: list[OpenDay] = []
    day = first
    while day <= last:
        opening = _opening_intervals(day, timezone, hours)
        if opening and (site_id, day) not in closed:
            days.append(OpenDay(day, tuple(opening)))
        day += timedelta(days=1)
    return days
