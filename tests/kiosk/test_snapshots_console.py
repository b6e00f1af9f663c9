"""Every kiosk screen as drawn on a Linux console (80x24) and on a large screen (160x50), in each
language: SVG snapshots beside this file (update with `pytest --snapshot-update` after looking at
the difference report). SQLite only: the picture does not depend on the database.

The screen is reached as a person would, by people who speak the language under test (so what
a screen keeps from an earlier step, such as a refusal or a question, is in that language too),
then drawn in that language (as the Welcome screen's language keys do, before anyone is known),
and every key hint of it must be drawn whole. 20 screens (the
apology for an unexpected error and "the booking system is unavailable" included) x 3 languages x
2 sizes = 120.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from fabdesk.db import Engine, session_scope
from fabdesk.i18n import LANGUAGES
from fabdesk.models import id_of
from inventory.makers import set_language
from inventory.trainings import schedule_training
from kiosk.app import KioskApp
from kiosk.screens.base import KioskScreen
from kiosk.screens.board import BoardScreen
from kiosk.screens.oops import OopsScreen, UnavailableScreen
from kiosk.widgets.keys import KeyHints
from tests.kiosk.conftest import MANAGER_PIN, NOW, Lab, charged_job, plan_training
from tests.kiosk.pilot import MakeApp, pick, scan, settle
from tests.kiosk.test_fits import drawn_lines

SnapCompare = Callable[..., bool]
Steps = Callable[[Pilot[None], Lab], Awaitable[None]]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


async def keys(pilot: Pilot[None], *pressed: str) -> None:
    for key in pressed:
        await pilot.press(key)
        await settle(pilot)


async def as_maker(pilot: Pilot[None], lab: Lab, *pressed: str) -> None:
    await settle(pilot)
    await scan(pilot, lab.en_maker.badge_id or "")
    await keys(pilot, *pressed)


async def as_manager(pilot: Pilot[None], lab: Lab, *pressed: str) -> None:
    await keys(pilot, "f5")
    await scan(pilot, lab.manager.badge_id or "")
    await pilot.press(*MANAGER_PIN, "enter")
    await settle(pilot)
    await keys(pilot, *pressed)


def _database_file(pilot: Pilot[None]) -> Path:
    app = pilot.app
    assert isinstance(app, KioskApp)
    assert app.engine.url.database
    return Path(app.engine.url.database)


async def reload_board(pilot: Pilot[None], lab: Lab, shown: type) -> None:
    """The maker's board reloads (R) and the kiosk shows `shown` instead."""
    await keys(pilot, "r")
    for _ in range(50):
        if isinstance(pilot.app.screen, shown):
            return
        await pilot.pause(0.1)
        await settle(pilot)
    raise AssertionError(f"{type(pilot.app.screen).__name__} is not {shown.__name__}")


async def database_broken(pilot: Pilot[None], lab: Lab) -> None:
    """A table gone from under the kiosk: the reload fails with a raw SQL error, and the kiosk
    apologises."""
    await as_maker(pilot, lab)
    with closing(sqlite3.connect(_database_file(pilot))) as database:
        database.execute("DROP TABLE bookings")
    await reload_board(pilot, lab, OopsScreen)


async def database_gone(pilot: Pilot[None], lab: Lab) -> None:
    """The database file goes away (and stays away while the screen is drawn)."""
    await as_maker(pilot, lab)
    database = _database_file(pilot)
    shutil.move(database, database.with_name("away.db"))
    await reload_board(pilot, lab, UnavailableScreen)


async def refused_a_laser(pilot: Pilot[None], lab: Lab) -> None:
    """A novice books a laser: refused for want of a training, offered the next session (planned
    by the manager for next week)."""
    app = pilot.app
    assert isinstance(app, KioskApp)
    while not app.loaded.done():  # the engine is made after the first frame
        await pilot.pause(0.05)
    with session_scope(app.engine) as session:
        schedule_training(
            session,
            category_code="laser",
            site_code="cityfab1",
            trainer_id=id_of(lab.manager),
            starts_at=NOW + timedelta(days=7),
            ends_at=NOW + timedelta(days=7, hours=2),
            min_participants=1,
            max_participants=6,
            now=NOW,
        )
    await settle(pilot)
    await scan(pilot, lab.novice.badge_id or "")
    await pick(pilot, _board(pilot), "Trotec Speedy 360 #1", 12)
    await keys(pilot, "enter")


async def cancelling(pilot: Pilot[None], lab: Lab) -> None:
    """A maker books a printer, then asks to cancel it from Me: the kiosk asks to confirm."""
    await as_maker(pilot, lab)
    await pick(pilot, _board(pilot), "Prusa MK4 #2", 14)
    await keys(pilot, "enter", "m", "x")


def _board(pilot: Pilot[None]) -> BoardScreen:
    board = pilot.app.screen
    assert isinstance(board, BoardScreen)
    return board


SCREENS: dict[str, Steps] = {
    "welcome": lambda pilot, lab: settle(pilot),
    "manager_login": lambda pilot, lab: keys(pilot, "f5"),
    "board": lambda pilot, lab: as_maker(pilot, lab),
    "book": lambda pilot, lab: as_maker(pilot, lab, "enter"),
    "me": lambda pilot, lab: as_maker(pilot, lab, "m"),
    "dispute": lambda pilot, lab: as_maker(pilot, lab, "m", "d"),
    "handover": lambda pilot, lab: as_maker(pilot, lab, "h"),
    "problem": lambda pilot, lab: as_maker(pilot, lab, "p"),
    "manager_home": lambda pilot, lab: as_manager(pilot, lab),
    "audit": lambda pilot, lab: as_manager(pilot, lab, "a"),
    "machines": lambda pilot, lab: as_manager(pilot, lab, "m"),
    "trainings": lambda pilot, lab: as_manager(pilot, lab, "t"),
    "disputes": lambda pilot, lab: as_manager(pilot, lab, "d"),
    "training_offer": refused_a_laser,
    "confirm": cancelling,
    "tokens": lambda pilot, lab: as_maker(pilot, lab, "m", "t"),
    "unattributed": lambda pilot, lab: as_manager(pilot, lab, "u"),
    "flagged": lambda pilot, lab: as_manager(pilot, lab, "u", "f7"),
    "oops": database_broken,
    "unavailable": database_gone,
}
SIZES = ((80, 24), (160, 50))
"""A Linux console, and a large screen."""
CASES = [
    pytest.param(screen, language, size, id=f"{screen}-{language}-{size[0]}x{size[1]}")
    for screen in SCREENS
    for size in SIZES
    for language in LANGUAGES
]


def assert_every_hint_is_drawn_whole(app: KioskApp) -> None:
    lines = drawn_lines(app)
    for hints in app.screen.query(KeyHints):
        drawn = lines[hints.region.y : hints.region.bottom]
        for key, label in hints.hints:
            assert any(f" {key}  {label}" in line for line in drawn), (key, label, drawn)


@pytest.mark.parametrize(("screen", "language", "size"), CASES)
def test_every_screen_fits(
    lab: Lab,
    make_app: MakeApp,
    engine: Engine,
    snap_compare: SnapCompare,
    screen: str,
    language: str,
    size: tuple[int, int],
) -> None:
    charged_job(engine, lab.en_maker, "CF1-00001-R", 10, minutes=25)
    plan_training(engine, lab)
    with session_scope(engine) as session:
        for person in (lab.en_maker, lab.novice, lab.manager):
            set_language(session, id_of(person), language)

    async def run_before(pilot: Pilot[None]) -> None:
        await SCREENS[screen](pilot, lab)
        app = pilot.app
        assert isinstance(app, KioskApp)
        app.choose_language(language)
        await settle(pilot)
        drawn = app.screen
        assert isinstance(drawn, KioskScreen)
        assert drawn.language == language
        assert_every_hint_is_drawn_whole(app)

    assert snap_compare(make_app(language="fr"), terminal_size=size, run_before=run_before)
