"""A kiosk without its database: it says the booking system is unavailable, retries, and comes back
to Welcome by itself; the loss and the return are logged once each, and no database is created."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from textual.pilot import Pilot

from fabdesk.db import Engine
from kiosk.screens.board import BoardScreen
from kiosk.screens.oops import UnavailableScreen
from kiosk.screens.welcome import WelcomeScreen
from tests.kiosk.conftest import SIZE, Lab
from tests.kiosk.pilot import MakeApp, open_board, screen_text, settle


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url  # a file to take away and give back


def _path(engine: Engine) -> Path:
    database = engine.url.database
    assert database
    return Path(database)


async def _until(pilot: Pilot[None], screen: type, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.2)):
        await settle(pilot)
        if isinstance(pilot.app.screen, screen):
            return
        await pilot.pause(0.2)
    raise AssertionError(f"{type(pilot.app.screen).__name__} is not {screen.__name__}")


def _count(caplog: pytest.LogCaptureFixture, event: str) -> int:
    return sum(record.getMessage().startswith(event) for record in caplog.records)


async def test_started_without_its_database_it_waits_and_comes_back(
    lab: Lab,
    make_app: MakeApp,
    engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    app = make_app(language="nl")
    real = _path(engine)
    away = tmp_path / "away.db"
    shutil.move(real, away)
    async with app.run_test(size=SIZE) as pilot:
        await _until(pilot, UnavailableScreen)
        assert "Het reserveringssysteem is niet beschikbaar." in screen_text(app)
        await pilot.press("x", "enter", "escape")  # keys change nothing
        await pilot.pause(4.5)  # two retries go by
        assert isinstance(app.screen, UnavailableScreen)
        assert not real.exists(), "the kiosk created a database"
        shutil.move(away, real)
        await _until(pilot, WelcomeScreen)
        await settle(pilot)
        assert "Cityfab" in screen_text(app)
        await open_board(pilot, lab.nl_maker.badge_id or "")
    assert app.incidents == []
    # Missing from the start: unreachable (never seen), then back; once each, for the process.
    assert _count(caplog, "database_unreachable") + _count(caplog, "database_lost") == 1
    assert _count(caplog, "database_back") == 1
    assert not any(record.exc_info for record in caplog.records)


async def test_a_database_moved_away_is_not_written_to(
    lab: Lab, make_app: MakeApp, engine: Engine, tmp_path: Path
) -> None:
    app = make_app(language="en")
    real = _path(engine)
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        assert isinstance(board, BoardScreen)
        shutil.move(real, tmp_path / "moved.db")
        await pilot.press("r")  # the board reloads: the file is gone
        await _until(pilot, UnavailableScreen)
        assert app.maker is None, "the maker is forgotten while the kiosk waits"
        assert "The booking system is unavailable." in screen_text(app)
        shutil.move(tmp_path / "moved.db", real)
        await _until(pilot, WelcomeScreen)
    assert app.incidents == []
