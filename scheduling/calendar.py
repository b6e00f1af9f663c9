"""A site's calendar, set by a manager: weekly opening hours, exceptional closures, and public
holidays (Belgium's, from the maintained `holidays` library, plus the community and regional
days a site chooses). A holiday or closure can be opened anyway by removing it for that day."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlmodel import Session, col, delete, select

from fabdesk.errors import InvalidValue
from fabdesk.models import OpeningHours, Site, SiteClosure, id_of
from inventory.lookups import get_site

__all__ = [
    "REGIONAL_DAYS",
    "Closed",
    "add_closure",
    "add_holidays",
    "closures_of",
    "hours_of",
    "open_anyway",
    "parse_windows",
    "set_hours",
]

REGIONAL_DAYS: dict[str, tuple[int, int, str]] = {
    "brussels": (5, 8, "Iris Day (Brussels-Capital Region)"),
    "flemish": (7, 11, "Day of the Flemish Community"),
    "french": (9, 27, "Day of the French Community"),
    "german": (11, 15, "Day of the German-speaking Community"),
}
"""The community and regional days a site may add to the national holidays: month, day, name."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Closed:
    first_day: date
    last_day: date
    reason: str
    holiday: bool


def parse_windows(text: str) -> list[tuple[time, time]]:
    """`10:00-18:00` or `9:00-12:30,13:30-18:00` (empty or `closed`: no window; `24:00` is the
    end of the day)."""
    if text.strip().lower() in ("", "closed"):
        return []
    windows = []
    for part in text.split(","):
        try:
            opens, closes = (_clock(t) for t in part.split("-"))
        except ValueError:
            raise InvalidValue(
                "Opening hours {value!r} are not understood: write 10:00-18:00 or "
                "9:00-12:30,13:30-18:00.",
                value=text,
                error_code="hours",
            ) from None
        if closes <= opens:
            raise InvalidValue(
                "A window must close after it opens: {value!r}.", value=part, error_code="hours"
            )
        windows.append((opens, closes))
    return sorted(windows)


def _clock(text: str) -> time:
    text = text.strip().zfill(5)
    return time.max if text == "24:00" else time.fromisoformat(text)


def weekday_number(name: str) -> int:
    """`monday`…`sunday` (or `mon`…`sun`, or 0 to 6) as 0 = Monday."""
    key = name.strip().lower()
    for number, day in enumerate(WEEKDAYS):
        if key in (day, day[:3], str(number)):
            return number
    raise InvalidValue(
        "{value!r} is not a weekday: write monday … sunday.", value=name, error_code="weekday"
    )


def set_hours(
    session: Session, site_code: str, weekday: int, windows: Sequence[tuple[time, time]]
) -> None:
    """Replace a site's opening windows on one weekday (none: closed that weekday)."""
    site = get_site(session, site_code)
    for (_, closes), (opens, _) in itertools.pairwise(windows):
        if opens < closes:
            raise InvalidValue("Opening windows of one day must not overlap.", error_code="hours")
    session.exec(
        delete(OpeningHours).where(
            col(OpeningHours.site_id) == id_of(site), col(OpeningHours.weekday) == weekday
        )
    )
    for opens, closes in windows:
        session.add(OpeningHours(site_id=id_of(site), weekday=weekday, opens=opens, closes=closes))
    session.flush()


def hours_of(session: Session, site_code: str) -> list[tuple[int, time, time]]:
    """A site's weekly windows: (weekday, opens, closes), Monday first."""
    site = get_site(session, site_code)
    rows = session.exec(
        select(OpeningHours)
        .where(OpeningHours.site_id == id_of(site))
        .order_by(col(OpeningHours.weekday), col(OpeningHours.opens))
    ).all()
    return [(row.weekday, row.opens, row.closes) for row in rows]


def add_closure(
    session: Session,
    site_code: str,
    first_day: date,
    last_day: date | None = None,
    *,
    reason: str,
    holiday: bool = False,
) -> SiteClosure:
    """Close a site for a day or a stretch of days (a reason is told to the makers refused)."""
    site = get_site(session, site_code)
    last_day = last_day or first_day
    if last_day < first_day:
        raise InvalidValue(
            "A closure ends on or after its first day ({day}).",
            day=first_day.isoformat(),
            error_code="closure_days",
        )
    if not reason.strip():
        raise InvalidValue("Say why the site is closed.", error_code="reason_required")
    closure = SiteClosure(
        site_id=id_of(site),
        first_day=first_day,
        last_day=last_day,
        holiday=holiday,
        reason=reason.strip()[:160],
    )
    session.add(closure)
    session.flush()
    return closure


def _closures_on(session: Session, site: Site, day: date) -> list[SiteClosure]:
    return list(
        session.exec(
            select(SiteClosure).where(
                SiteClosure.site_id == id_of(site),
                col(SiteClosure.first_day) <= day,
                col(SiteClosure.last_day) >= day,
            )
        )
    )


def add_holidays(
    session: Session, site_code: str, year: int, regions: Sequence[str] = ()
) -> list[Closed]:
    """Close a site on Belgium's public holidays of `year` and on the regional days it chose;
    days already closed are left as they are (idempotent). Returns the days added."""
    import holidays

    unknown = [r for r in regions if r not in REGIONAL_DAYS]
    if unknown:
        raise InvalidValue(
            "{value!r} is not a regional day: choose among {choices}.",
            value=unknown[0],
            choices=", ".join(REGIONAL_DAYS),
            error_code="region",
        )
    site = get_site(session, site_code)
    days = dict(holidays.country_holidays("BE", years=year, language="en_US").items())
    for region in regions:
        month, day_of_month, name = REGIONAL_DAYS[region]
        days.setdefault(date(year, month, day_of_month), name)
    added = []
    for day, name in sorted(days.items()):
        if not _closures_on(session, site, day):
            add_closure(session, site_code, day, reason=str(name), holiday=True)
            added.append(Closed(day, day, str(name), True))
    return added


def open_anyway(session: Session, site_code: str, day: date) -> int:
    """Open a site on a day it was closed (a holiday or a closure): the closures covering that
    day no longer do; a closure of several days is split around it. Returns how many changed."""
    site = get_site(session, site_code)
    found = _closures_on(session, site, day)
    for closure in found:
        before = (closure.first_day, day - timedelta(days=1))
        after = (day + timedelta(days=1), closure.last_day)
        for first, last in (before, after):
            if first <= last:
                session.add(
                    SiteClosure(
                        site_id=closure.site_id,
                        first_day=first,
                        last_day=last,
                        holiday=closure.holiday,
                        reason=closure.reason,
                    )
                )
        session.delete(closure)
    session.flush()
    return len(found)


def closures_of(session: Session, site_code: str, *, since: date) -> list[Closed]:
    """A site's closures that end on or after `since`, in order."""
    site = get_site(session, site_code)
    rows = session.exec(
        select(SiteClosure)
        .where(SiteClosure.site_id == id_of(site), col(SiteClosure.last_day) >= since)
        .order_by(col(SiteClosure.first_day))
    ).all()
    return [Closed(r.first_day, r.last_day, r.reason, r.holiday) for r in rows]
