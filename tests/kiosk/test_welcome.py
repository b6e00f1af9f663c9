"""Welcome: languages, badges (known, unknown, typed), the lab at a glance, idle time-out."""

from __future__ import annotations

import sqlite3

import pytest
from textual.widgets import DataTable, Static

from fabdesk.db import Engine, session_scope
from fabdesk.settings import Settings
from inventory.makers import get_maker
from kiosk.app import KioskApp
from kiosk.screens.board import BoardScreen
from kiosk.screens.welcome import WelcomeScreen
from tests.kiosk.conftest import SIZE, Lab, Ticker, kiosk_settings
from tests.kiosk.pilot import MakeApp, scan, screen_text, settle

QWERTY_ON_AZERTY = str.maketrans("1234567890aqAQzwZWmM", "&é\"'(§è!çàqaQAwzWZ,?")
"""What a Belgian AZERTY terminal shows for keys a US-keyboard scanner sends (written here
independently of the service's own table)."""


async def test_welcome_greets_in_the_kiosk_language_and_shows_the_lab(
    lab: Lab, make_app: MakeApp
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        text = screen_text(app)
        assert "Bienvenue" in text
        assert "Cityfab1 Laeken" in text
        glance = app.screen.query_one("#glance", DataTable)
        assert glance.row_count == 16
        assert "En service" in str(glance.get_row_at(0))
        assert app.incidents == []


@pytest.mark.parametrize(
    ("key", "language", "greeting", "status"),
    [
        ("f1", "fr", "Bienvenue", "En service"),
        ("f2", "nl", "Welkom", "In dienst"),
        ("f3", "en", "Welcome", "In service"),
    ],
)
async def test_each_language_can_be_chosen(
    lab: Lab, make_app: MakeApp, key: str, language: str, greeting: str, status: str
) -> None:
    app = make_app(language="en" if language == "fr" else "fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert app.language == language
        assert greeting in screen_text(app)
        glance = app.screen.query_one("#glance", DataTable)
        assert status in str(glance.get_row_at(0))


@pytest.mark.parametrize(("name", "language"), [("Nederlands", "nl"), ("English", "en")])
async def test_a_language_is_chosen_by_clicking_its_name(
    lab: Lab, make_app: MakeApp, name: str, language: str
) -> None:
    app = make_app(language="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        names = app.screen.query_one("#languages", Static)
        column = str(names.render()).index(name) + names.styles.padding.left
        await pilot.click("#languages", offset=(column + 2, 0))
        await settle(pilot)
        assert app.language == language
        assert app.screen.query_one("#scan").has_focus  # scanners still type into the field


async def test_a_known_badge_opens_the_board_in_the_makers_language(
    lab: Lab, make_app: MakeApp
) -> None:
    app = make_app(language="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await scan(pilot, lab.nl_maker.badge_id or "")
        assert isinstance(app.screen, BoardScreen)
        assert app.maker is not None
        assert app.maker.maker_id == lab.nl_maker.id
        assert app.language == "nl"
        assert f"Hallo {lab.nl_maker.name}" in screen_text(app)
        assert app.incidents == []


async def test_the_member_number_on_the_card_works_too(lab: Lab, make_app: MakeApp) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await scan(pilot, lab.en_maker.member_number.lower())
        assert isinstance(app.screen, BoardScreen)
        assert "Hello" in screen_text(app)


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("fr", "Ce badge n'est pas connu ici."),
        ("nl", "Deze badge is hier niet bekend."),
        ("en", "This badge is not known here."),
    ],
)
async def test_an_unknown_badge_gets_a_friendly_message(
    lab: Lab, make_app: MakeApp, language: str, sentence: str
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await scan(pilot, "NOPE-1234")
        assert isinstance(app.screen, WelcomeScreen)
        assert sentence in screen_text(app)
        assert app.maker is None
        assert app.incidents == []


async def test_a_language_chosen_before_scanning_is_remembered(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    app = make_app(language="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await scan(pilot, lab.fr_maker.badge_id or "")
        assert app.language == "en"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.language == "fr"
        await scan(pilot, lab.fr_maker.badge_id or "")
        assert app.language == "en"
    with session_scope(engine) as session:
        assert get_maker(session, lab.fr_maker.member_number).language == "en"


async def test_idle_time_out_forgets_the_maker(lab: Lab, make_app: MakeApp, ticker: Ticker) -> None:
    app = make_app(language="fr", idle_seconds=30)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await scan(pilot, lab.nl_maker.badge_id or "")
        assert isinstance(app.screen, BoardScreen)
        ticker.advance(20)
        await pilot.press("down")  # activity restarts the count
        ticker.advance(20)
        await pilot.pause(0.6)
        assert isinstance(app.screen, BoardScreen)
        ticker.advance(11)
        await pilot.pause(0.6)
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.maker is None
        assert app.language == "fr"
        assert "Bienvenue" in screen_text(app)


async def test_a_broken_database_shows_an_apology_not_a_traceback(
    settings: Settings, tmp_path: object
) -> None:
    from fabdesk.db import make_engine
    from fabdesk.settings import DatabaseSettings
    from kiosk.screens.oops import OopsScreen

    # A database without any table: every service fails with a raw SQL error.
    sqlite3.connect(f"{tmp_path}/empty.db").close()
    engine = make_engine(DatabaseSettings(url=f"sqlite:///{tmp_path}/empty.db"))
    app = KioskApp.of(kiosk_settings(settings), connect=lambda: engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OopsScreen)
        assert "Quelque chose s'est mal passé." in screen_text(app)
        assert "averti" not in screen_text(app)  # nobody was told: it does not claim so
        assert len(app.incidents) == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
    engine.dispose()


@pytest.mark.parametrize(
    "typed",
    ["lower", "azerty"],
)
async def test_badges_are_read_as_scanners_send_them(
    lab: Lab, make_app: MakeApp, typed: str
) -> None:
    """A reader that types lower case, and a scanner set up for a US keyboard on a Belgian AZERTY
    terminal (digits come out as &é"'(§è!çà), still name the maker."""
    badge = lab.nl_maker.badge_id or ""
    assert any(c.isdigit() for c in badge)
    sent = badge.lower() if typed == "lower" else badge.translate(QWERTY_ON_AZERTY)
    app = make_app(language="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await scan(pilot, sent)
        assert isinstance(app.screen, BoardScreen)
        assert app.maker is not None
        assert app.maker.maker_id == lab.nl_maker.id


async def test_the_next_person_finds_a_clean_welcome(
    lab: Lab, make_app: MakeApp, ticker: Ticker
) -> None:
    app = make_app(language="fr", idle_seconds=30)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")  # a Dutch speaker...
        await scan(pilot, "NOT-A-BADGE")  # ...with a wrong badge, who walks away
        assert "onbekend" in screen_text(app).lower() or app.language == "nl"
        await pilot.press("x", "y")
        ticker.advance(31)
        await pilot.pause(0.6)
        await settle(pilot)
        welcome = app.screen
        assert isinstance(welcome, WelcomeScreen)
        assert welcome.is_clean()
        assert app.language == "fr"
        assert "Bienvenue" in screen_text(app)
        assert app.incidents == []
