"""Daylight-saving days, through the CLI and the kiosk: local times read in the site's zone,
lengths in real time, a time that does not exist refused, one that happens twice chosen by
`--fold` or refused. The days are the next change days after today (last Sundays of March and
October in Brussels), opened anyway should they be holidays (Easter Sunday may be one)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fabdesk.db import Engine, session_scope
from inventory.makers import get_maker
from scheduling.bookings import bookings_of
from tests.kiosk.conftest import SIZE
from tests.kiosk.pilot import MakeApp, open_board, pick, screen_text, settle
from tests.support.new_lab import ok, refused, set_up_lab, tag_of

ZONE = ZoneInfo("Europe/Brussels")
TWO_HOURS = timedelta(hours=2)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def change_days(today: date) -> tuple[date, date]:
    """The next day the clocks go forward and the next day they go back."""
    spring = _last_sunday(today.year, 3)
    autumn = _last_sunday(today.year, 10)
    if spring <= today:
        spring = _last_sunday(today.year + 1, 3)
    if autumn <= today:
        autumn = _last_sunday(today.year + 1, 10)
    return spring, autumn


def _lab(url: str) -> tuple[date, date]:
    today = datetime.now(ZONE).date()
    set_up_lab(url, today)
    spring, autumn = change_days(today)
    for day in (spring, autumn):
        ok(url, "holidays", "open", "newlab", day.isoformat())
    return spring, autumn


def test_booking_across_the_changes_from_the_cli(database_url: str, engine: Engine) -> None:
    spring, autumn = _lab(database_url)
    laser1, laser2 = tag_of(database_url, "Laser 1"), tag_of(database_url, "Laser 2")
    ok(database_url, "policy", "set", "--category", "laser", "--max-length", "120")
    ok(database_url, "book", "M-1", laser1, f"{spring} 01:30", "--length", "2h")
    gap = refused(database_url, "book", "M-1", laser2, f"{spring} 02:30")
    assert f"{spring} 02:30 does not exist in Europe/Brussels" in gap
    twice = refused(database_url, "book", "M-1", laser2, f"{autumn} 02:30")
    assert f"{autumn} 02:30 happens twice in Europe/Brussels" in twice
    ok(database_url, "book", "M-1", laser2, f"{autumn} 02:30", "--fold", "later")
    in_line = ("waitlist", "join", "M-2", laser2, f"{autumn} 02:30")  # shares book's times
    assert f"{autumn} 02:30 happens twice" in refused(database_url, *in_line)
    ok(database_url, *in_line, "--fold", "later")
    ok(database_url, "book", "M-2", laser1, f"{autumn} 01:30", "--length", "2h")
    with session_scope(engine) as session:
        ana = bookings_of(session, get_maker(session, "M-1").id or 0)
        bo = bookings_of(session, get_maker(session, "M-2").id or 0)
    forward, later = ana
    assert forward.ends_at - forward.starts_at == TWO_HOURS
    assert forward.ends_at.astimezone(ZONE).time() == time(4, 30)
    assert later.starts_at.astimezone(ZONE).utcoffset() == timedelta(hours=1)  # winter time
    assert later.starts_at.astimezone(UTC).time() == time(1, 30)
    (back,) = bo
    assert back.ends_at - back.starts_at == TWO_HOURS
    assert back.ends_at.astimezone(ZONE).time() == time(2, 30)


async def test_walking_in_across_the_changes_at_the_kiosk(
    database_url: str, engine: Engine, make_app: MakeApp
) -> None:
    spring, autumn = _lab(database_url)
    ok(database_url, "policy", "set", "--category", "laser", "--max-length", "120")
    for day, shown in ((spring, "04:30"), (autumn, "02:30")):
        now = datetime.combine(day, time(1, 30), ZONE).astimezone(UTC)
        app = make_app(now=now, site="newlab", language="en")
        async with app.run_test(size=SIZE) as pilot:
            board = await open_board(pilot, "BADGE-BO" if day == autumn else "BADGE-ANA")
            await pick(pilot, board, "Laser 1", 1)
            await pilot.press("escape")
            await settle(pilot)
            await pilot.press("w", "3", "enter")  # two hours from now
            await settle(pilot)
            assert f"Laser 1 is yours until {shown}." in screen_text(app), screen_text(app)
            assert app.incidents == []
    with session_scope(engine) as session:
        walked = [
            b
            for member in ("M-1", "M-2")
            for b in bookings_of(session, get_maker(session, member).id or 0)
        ]
    assert [b.ends_at - b.starts_at for b in walked] == [TWO_HOURS, TWO_HOURS]
