"""Every kiosk screen as drawn on a Linux console (80x24) in each language, and on a large screen
(160x50) in French: SVG snapshots beside this file (update with `pytest --snapshot-update` after
looking at the difference report). SQLite only: the picture does not depend on the database.

The screen is reached as a person would, then drawn again in the language under test (as the
Welcome screen's language keys do). 13 screens x (3 languages at 80x24 + 1 at 160x50) = 52.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from fabdesk.db import Engine
from kiosk.app import KioskApp
from tests.kiosk.conftest import MANAGER_PIN, Lab, charged_job, plan_training
from tests.kiosk.pilot import MakeApp, scan, settle

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
}
CASES = [
    pytest.param(screen, language, size, id=f"{screen}-{language}-{size[0]}x{size[1]}")
    for screen in SCREENS
    for language, size in [*((lang, (80, 24)) for lang in ("fr", "nl", "en")), ("fr", (160, 50))]
]


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

    async def run_before(pilot: Pilot[None]) -> None:
        await SCREENS[screen](pilot, lab)
        app = pilot.app
        assert isinstance(app, KioskApp)
        app.choose_language(language)
        await settle(pilot)

    assert snap_compare(make_app(language="fr"), terminal_size=size, run_before=run_before)
