"""The idle time-out on every screen a maker or a manager can reach, in each language: the kiosk
always ends on a clean Welcome in its own language, and never meets an incident."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from kiosk.app import KioskApp
from kiosk.screens.welcome import WelcomeScreen
from tests.kiosk.conftest import Lab, Ticker
from tests.kiosk.pilot import MakeApp, manager_home, open_board, screen_text, settle


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url  # screens and time-outs are the kiosk's own business


MAKER_KEYS = {
    "board": [],
    "me": ["m"],
    "book": ["enter"],
    "walk_in": ["w"],
    "problem": ["p"],
    "hand_over": ["h"],
    "dispute": ["m", "d"],
}
MANAGER_KEYS = {
    "home": [],
    "audit": ["a"],
    "machines": ["m"],
    "trainings": ["t"],
    "disputes": ["d"],
}


async def _wait_for_welcome(pilot: Pilot[None], app: KioskApp, ticker: Ticker) -> None:
    ticker.advance(31)
    for _ in range(10):
        await pilot.pause(0.3)
        await settle(pilot)
        if isinstance(app.screen, WelcomeScreen) and app.maker is None:
            break
    assert not app.incidents, app.incidents
    assert isinstance(app.screen, WelcomeScreen)
    assert app.language == "fr"
    assert "Bienvenue" in screen_text(app)


@pytest.mark.parametrize("screen", list(MAKER_KEYS))
@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_a_maker_who_walks_away_leaves_a_clean_welcome(
    lab: Lab, make_app: MakeApp, ticker: Ticker, screen: str, language: str
) -> None:
    maker = {"fr": lab.fr_maker, "nl": lab.nl_maker, "en": lab.en_maker}[language]
    app = make_app(language="fr", idle_seconds=30)
    async with app.run_test(size=(110, 36)) as pilot:
        await open_board(pilot, maker.badge_id or "")
        for key in MAKER_KEYS[screen]:
            await pilot.press(key)
            await settle(pilot)
        await _wait_for_welcome(pilot, app, ticker)


@pytest.mark.parametrize("screen", list(MANAGER_KEYS))
@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_a_manager_who_walks_away_leaves_a_clean_welcome(
    lab: Lab, make_app: MakeApp, ticker: Ticker, screen: str, language: str
) -> None:
    app = make_app(language="fr", idle_seconds=30)
    async with app.run_test(size=(110, 36)) as pilot:
        await manager_home(pilot, lab)
        app.language = language
        await settle(pilot)
        for key in MANAGER_KEYS[screen]:
            await pilot.press(key)
            await settle(pilot)
        await _wait_for_welcome(pilot, app, ticker)


async def test_a_countdown_warns_before_the_kiosk_forgets(
    lab: Lab, make_app: MakeApp, ticker: Ticker
) -> None:
    app = make_app(language="fr", idle_seconds=30)
    async with app.run_test(size=(110, 36)) as pilot:
        await open_board(pilot, lab.nl_maker.badge_id or "")
        ticker.advance(21)
        await pilot.pause(0.6)
        [warning] = list(app._notifications)
        assert warning.message.startswith("Nog daar? Over 9 seconden vergeet de kiosk u")
        await pilot.press("down")  # a key: the person stays, the warning goes
        await pilot.pause(0.1)
        assert list(app._notifications) == []
        ticker.advance(25)
        await pilot.pause(0.6)
        assert app.maker is not None
        assert len(list(app._notifications)) == 1
        ticker.advance(6)
        await pilot.pause(0.6)
        await settle(pilot)
        assert app.maker is None
        assert list(app._notifications) == []
