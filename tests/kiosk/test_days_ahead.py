"""Issue 16 at the kiosk: book days ahead with the day picker (PgUp/PgDn, Home) over the booking
horizon, see a closed day as closed with the next open day's hours, find the first free slot of a
category (N), and make a phone token (Me → T) shown once as a QR code. On SQLite and PostgreSQL,
at the tests' terminal size and at 80x24."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.coordinate import Coordinate
from textual.widgets import Static

from fabdesk.db import Engine, session_scope
from fabdesk.errors import Unauthenticated
from fabdesk.models import MakerToken
from fabdesk.settings import Settings
from inventory.maker_tokens import authenticate_maker
from kiosk.app import KioskApp
from kiosk.screens.board import BoardScreen
from kiosk.screens.book import BookScreen
from kiosk.screens.me import MeScreen
from kiosk.screens.tokens import TokensScreen
from kiosk.widgets.board_grid import BoardGrid
from scheduling.bookings import bookings_of
from tests.kiosk.conftest import NOW, SIZE, Lab, Ticker, kiosk_settings
from tests.kiosk.pilot import MakeApp, open_board, pick, screen_text, settle

SMALL = (80, 24)


def text_of(app: KioskApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def days_on(pilot: object, board: BoardScreen, key: str, times: int) -> None:
    for _ in range(times):
        await pilot.press(key)  # type: ignore[attr-defined]
        await settle(pilot)  # type: ignore[arg-type]


async def test_the_day_picker_books_a_later_day(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        assert "Tuesday 24/11/2026" in text_of(app, "#site-name")
        await days_on(pilot, board, "pagedown", 2)
        assert board.view is not None
        assert "Thursday 26/11/2026" in text_of(app, "#site-name")
        assert len(board.view.hours) == 11  # 10h to 20h on a Thursday
        assert " Thu 26 " in text_of(app, "#days")
        await pick(pilot, board, "Trotec Speedy 360 #1", 14)
        assert isinstance(app.screen, BookScreen)
        await pilot.press("2", "enter")
        await settle(pilot)
        assert "26/11 14:00 to 15:00" in screen_text(app)
        await pilot.press("home")
        await settle(pilot)
        assert "Tuesday 24/11/2026" in text_of(app, "#site-name")
        assert app.incidents == []
    with session_scope(engine) as session:
        booked = bookings_of(session, lab.en_maker.id or 0)
    assert [b.starts_at for b in booked] == [datetime(2026, 11, 26, 13, tzinfo=UTC)]


async def test_a_closed_day_says_when_the_lab_opens_next(lab: Lab, make_app: MakeApp) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        assert text_of(app, "#day-note") == " N  First free slot of this kind, at any site"
        await days_on(pilot, board, "pagedown", 5)  # Sunday 29/11: Cityfab1 opens Tue-Sat
        assert board.view is not None
        assert "Sunday 29/11/2026" in text_of(app, "#site-name")
        strip = text_of(app, "#days")
        assert strip.split()[2:4] == ["Thu", "26"], "the week around the day shown"
        assert len(strip) <= SMALL[0] - 4, "a week fits 80 columns (less the padding)"
        assert text_of(app, "#day-note") == (
            "The lab is closed on this day. Next open: Tuesday 01/12, 10:00-18:00."
        )
        assert board.view.rows
        assert not board.view.hours
        assert {d.day for d in board.view.open_days} >= {24, 25, 26, 27, 28}
        assert all(d.weekday() not in (6, 0) for d in board.view.open_days)
        await pilot.press("enter")  # nothing to book on a closed day: no crash, no screen
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert app.incidents == []


@pytest.mark.parametrize("size", [SIZE, SMALL], ids=["tests", "80x24"])
async def test_the_horizon_bounds_the_day_picker(
    lab: Lab, settings: Settings, engine: Engine, ticker: Ticker, size: tuple[int, int]
) -> None:
    rules = settings.scheduler.model_copy(
        update={"booking": settings.scheduler.booking.model_copy(update={"max_days_ahead": 2})}
    )
    app = KioskApp.of(
        kiosk_settings(settings.model_copy(update={"scheduler": rules}), language="en"),
        connect=lambda: engine,
        clock=lambda: NOW,
        monotonic=ticker,
    )
    async with app.run_test(size=size) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        await days_on(pilot, board, "pageup", 1)
        assert "You can book up to 2 days ahead." in screen_text(app)
        await days_on(pilot, board, "pagedown", 3)
        assert board.view is not None
        assert board.view.day.day == 26
        assert "You can book up to 2 days ahead." in screen_text(app)
        strip = text_of(app, "#days")
        assert strip.split() == ["PgUp", "◀", "Tue", "24", "Wed", "25", "Thu", "26", "▶", "PgDn"]
        for selector in ("#site-name", "#days", "#grid"):
            region = app.screen.query_one(selector).region
            assert region.height >= 1
            assert region.bottom <= size[1] - 1, selector  # above the key hints
            assert region.right <= size[0], selector
        assert app.screen.query_one("#grid").region.height >= 4


async def test_first_free_finds_a_later_day_of_the_category(lab: Lab, make_app: MakeApp) -> None:
    # Tuesday 17:30 in Brussels: no embroidery hour fits before Cityfab1 closes at 18:00, and
    # only Cityfab1 has an embroidery machine: the first free one is on Wednesday at 10:00.
    app = make_app(now=datetime(2026, 11, 24, 16, 30, tzinfo=UTC), language="en")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        assert board.view is not None
        row = next(i for i, r in enumerate(board.view.rows) if r.category_code == "embroidery")
        grid = board.query_one("#grid", BoardGrid)
        grid.cursor_coordinate = Coordinate(row, 1)
        await pilot.press("n")
        await settle(pilot)
        assert board.view.day.day == 25
        assert "First free: Brother PR680W" in screen_text(app)
        assert "at cityfab1, Wed 25/11 10:00." in screen_text(app)
        cursor = grid.cursor_coordinate
        assert board.view.rows[cursor.row].category_code == "embroidery"
        assert board.view.hours[cursor.column - 1].hour == 10


@pytest.mark.parametrize("size", [SIZE, SMALL], ids=["tests", "80x24"])
async def test_phone_access_shows_a_token_once_and_revokes_it(
    lab: Lab, make_app: MakeApp, engine: Engine, size: tuple[int, int]
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=size) as pilot:
        await open_board(pilot, lab.en_maker.badge_id or "")
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MeScreen)
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TokensScreen)
        assert not app.screen.query_one("#qr").display
        await pilot.press("n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TokensScreen)
        assert screen.issued is not None
        token = screen.issued.token
        assert token in text_of(app, "#token-text").replace("\n", "")
        qr = screen.query_one("#qr", Static)
        assert qr.display
        assert "█" in str(qr.render())
        assert qr.region.bottom <= size[1] - 1, "the whole code is on screen"
        with session_scope(engine) as session:
            maker = authenticate_maker(session, token, now=NOW)
            assert maker.maker_id == lab.en_maker.id
            stored = session.get(MakerToken, maker.token_id)
            assert stored is not None
            assert token not in (stored.token_hash, stored.token_hint)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert token not in screen_text(app), "shown once"
        await pilot.press("x")
        await settle(pilot)
        assert "Token revoked" in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session, pytest.raises(Unauthenticated):
        authenticate_maker(session, token, now=NOW)
