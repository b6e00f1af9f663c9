"""A new lab set up with commands only, on an empty database (no seed), then booked through the
CLI, the kiosk and the maker API (a phone): the same rules, the same answers and refusals. On
SQLite and PostgreSQL.

The CLI books by the real clock, so the lab opens every day round the clock and the days used
(today, tomorrow) are opened anyway should they be holidays; the kiosk's clock is set to tomorrow
10:00. The CLI runs in this process (typer's runner), like a manager's shell would run it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import select
from typer.testing import CliRunner

from fabdesk.api.app import create_app
from fabdesk.api.serving import serve_in_thread
from fabdesk.cli import app as cli_app
from fabdesk.db import Engine, session_scope
from fabdesk.models import BookingState, Equipment, Maker, Sector, Tier, id_of
from fabdesk.settings import Settings
from inventory.makers import get_maker
from kiosk.app import KioskApp
from kiosk.screens.tokens import TokensScreen
from scheduling.bookings import bookings_of
from tests.kiosk.conftest import NOW, SIZE, Lab, Ticker, kiosk_settings
from tests.kiosk.pilot import MakeApp, open_board, pick, screen_text, settle
from tests.support.new_lab import ok, refused, set_up_lab, tag_of

ZONE = ZoneInfo("Europe/Brussels")


def test_a_lab_set_up_by_commands_books_the_same_way_at_the_cli(
    database_url: str, engine: Engine
) -> None:
    today = datetime.now(ZONE).date()
    set_up_lab(database_url, today)
    with session_scope(engine) as session:
        ana: Maker = get_maker(session, "M-1")
        assert (ana.tier, ana.sector) == (Tier.STUDENT, Sector.CREATIVE)
        assert get_maker(session, "M-2").sector is Sector.HEALTH
    laser1 = tag_of(database_url, "Laser 1")
    tomorrow = (today + timedelta(days=1)).isoformat()
    too_long = refused(database_url, "book", "M-1", laser1, f"{tomorrow} 11:00", "--length", "2h")
    assert "A booking of Laser 1 lasts at most 60 minutes." in too_long
    assert "Booked Laser 1" in ok(database_url, "book", "M-1", laser1, f"{tomorrow} 11:00")
    taken = refused(database_url, "book", "M-2", laser1, f"{tomorrow} 12:00")
    assert "Laser 1 is already booked from" in taken
    assert "until " + tomorrow[8:10] + "/" + tomorrow[5:7] + " 12:30" in taken  # 30 of buffer
    christmas = date(today.year + 1, 12, 25).isoformat()
    holiday = refused(database_url, "book", "M-1", laser1, f"{christmas} 10:00")
    said = f"New Lab is closed on 25/12/{today.year + 1}, a public holiday: Christmas Day."
    assert said in holiday
    board = ok(database_url, "availability", "newlab", "--day", christmas)
    assert "closed (Christmas Day)" in board
    laser3 = tag_of(database_url, "Laser 3")
    ok(database_url, "walk-in", "M-2", laser3, "--length", "1h")
    with session_scope(engine) as session:
        walked = bookings_of(session, get_maker(session, "M-2").id or 0)[0]
    too_long = refused(database_url, "bookings", "extend", str(walked.id), "--by", "30m")
    assert "A booking of Laser 3 lasts at most 60 minutes." in too_long


async def test_a_lab_set_up_by_commands_books_the_same_way_at_the_kiosk(
    database_url: str, engine: Engine, make_app: MakeApp
) -> None:
    today = datetime.now(ZONE).date()
    set_up_lab(database_url, today)
    tomorrow = today + timedelta(days=1)
    app = make_app(now=datetime.combine(tomorrow, time(10), ZONE).astimezone(UTC),
                   site="newlab", language="en", undo_seconds=1)  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, "BADGE-ANA")
        await pick(pilot, board, "Laser 2", 11)
        await pilot.press("3", "enter")  # two hours
        await settle(pilot)
        assert "A booking of Laser 2 lasts at most 60 minutes." in screen_text(app)
        await pilot.press("2", "enter")  # one hour
        await settle(pilot)
        assert "Booked: Laser 2, " in screen_text(app)
        await pick(pilot, board, "Laser 1", 10)  # walk in on Laser 1 at 10:00 for an hour
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("w", "2", "enter")
        await settle(pilot)
        assert "is yours until 11:00" in screen_text(app), screen_text(app)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("e")  # 30 more minutes: 90 in all
        await settle(pilot)
        assert "A booking of Laser 1 lasts at most 60 minutes." in screen_text(app)
        await pilot.press("down", "x", "enter")  # cancel the 11:00 booking an hour ahead
        await pilot.pause(1.5)  # the undo time goes by
        await settle(pilot)
        assert "Booking cancelled." in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        mine = bookings_of(session, get_maker(session, "M-1").id or 0)
    assert [(b.state, b.late_cancel) for b in mine] == [
        (BookingState.CHECKED_IN, False),
        (BookingState.CANCELLED, False),
    ]
    assert mine[0].blocked_until - mine[0].ends_at == timedelta(minutes=30)


async def test_the_rules_of_the_settings_hold_at_the_kiosk_as_at_the_cli(
    lab: Lab, settings: Settings, engine: Engine, ticker: Ticker, database_url: str
) -> None:
    """No policy rows: the settings' scheduler.booking (max 60 minutes, 30 of buffer) is what
    the kiosk applies (it used to apply the built-in defaults: 120 minutes booked)."""
    strict = settings.model_copy(deep=True)
    strict.scheduler.booking.max_minutes = 60
    strict.scheduler.booking.buffer_minutes = 30
    app = KioskApp.of(kiosk_settings(strict, language="en"), connect=lambda: engine,
                   clock=lambda: NOW, monotonic=ticker)  # fmt: skip
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        await pick(pilot, board, "Trotec Speedy 360 #1", 11)
        await pilot.press("3", "enter")
        await settle(pilot)
        assert "A booking of Trotec Speedy 360 #1 lasts at most 60 minutes." in screen_text(app)
        await pilot.press("2", "enter")
        await settle(pilot)
    with session_scope(engine) as session:
        booked = bookings_of(session, id_of(lab.en_maker))
        tag = session.exec(
            select(Equipment.asset_tag).where(Equipment.id == booked[0].equipment_id)
        ).one()
    assert [b.blocked_until - b.ends_at for b in booked] == [timedelta(minutes=30)]
    result = CliRunner().invoke(
        cli_app,
        ["book", lab.fr_maker.member_number, tag, "2030-01-08 11:00", "--length", "2h"],
        env={
            "FABDESK_DATABASE__URL": database_url,
            "FABDESK_SCHEDULER__BOOKING__MAX_MINUTES": "60",
        },
    )
    assert "lasts at most 60 minutes" in str(result.exception)


async def test_a_lab_set_up_by_commands_books_the_same_way_from_a_phone(
    database_url: str, engine: Engine, settings: Settings, make_app: MakeApp
) -> None:
    """The maker makes a phone token at the kiosk (Me, T, N), then books through the maker API
    on a real server: the same answers and refusals, in the same words, as the CLI's above."""
    today = datetime.now(ZONE).date()
    set_up_lab(database_url, today)
    tomorrow = today + timedelta(days=1)
    ten = datetime.combine(tomorrow, time(10), ZONE).astimezone(UTC)
    app = make_app(now=ten, site="newlab", language="en")
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, "BADGE-ANA")
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TokensScreen)
        assert screen.issued is not None
        token = screen.issued.token
        assert token in screen_text(app).replace("\n", "")
    laser1, laser2 = tag_of(database_url, "Laser 1"), tag_of(database_url, "Laser 2")

    def local(day: date, hour: int) -> str:
        return datetime.combine(day, time(hour), ZONE).isoformat()

    with (
        serve_in_thread(create_app(settings, engine, clock=lambda: ten)) as url,
        httpx.Client(
            base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as phone,
    ):

        def book(tag: str, day: date, hour: int, minutes: int) -> httpx.Response:
            wanted = {"asset_tag": tag, "starts_at": local(day, hour), "minutes": minutes}
            return phone.post("/api/v1/me/bookings", json=wanted)

        too_long = book(laser1, tomorrow, 11, 120)
        assert (too_long.status_code, too_long.json()["code"]) == (422, "too_long")
        assert too_long.json()["message"] == "A booking of Laser 1 lasts at most 60 minutes."
        booked = book(laser1, tomorrow, 11, 60)
        assert booked.status_code == 201, booked.text
        buffer = book(laser1, tomorrow, 12, 60)  # within the 30-minute buffer
        assert buffer.json()["code"] == "slot_taken"
        assert "Laser 1 is already booked from" in buffer.json()["message"]
        christmas = date(today.year + 1, 12, 25)
        holiday = book(laser2, christmas, 10, 60)
        assert holiday.json()["code"] == "site_holiday"
        assert holiday.json()["message"] == (
            f"New Lab is closed on 25/12/{christmas.year}, a public holiday: Christmas Day."
        )
        longer = phone.post(
            f"/api/v1/me/bookings/{booked.json()['id']}/extend",
            json={"ends_at": local(tomorrow, 12).replace("12:00", "12:30")},
        )
        assert (longer.status_code, longer.json()["code"]) == (422, "too_long")
        gone = phone.post(f"/api/v1/me/bookings/{booked.json()['id']}/cancel")
        assert gone.json()["state"] == "cancelled"
    with session_scope(engine) as session:
        mine = bookings_of(session, get_maker(session, "M-1").id or 0)
    assert [(b.state, b.late_cancel) for b in mine] == [(BookingState.CANCELLED, False)]
