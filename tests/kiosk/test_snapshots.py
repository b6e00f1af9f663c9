"""Snapshots of the main screens (SVG beside this file, in __snapshots__/), on SQLite only:
the picture does not depend on the database. Update with `pytest --snapshot-update` after looking
at the difference report."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from kiosk.app import KioskApp
from tests.kiosk.conftest import MANAGER_PIN, SIZE, Lab
from tests.kiosk.pilot import scan, settle

MakeApp = Callable[..., KioskApp]
SnapCompare = Callable[..., bool]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def test_welcome_in_french(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=settle)


def test_welcome_in_dutch_after_an_unknown_badge(
    lab: Lab, make_app: MakeApp, snap_compare: SnapCompare
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await scan(pilot, "0000BADBADGE")

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_board_of_a_maker(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.en_maker.badge_id or "")

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_manager_login_with_a_wrong_pin(
    lab: Lab, make_app: MakeApp, snap_compare: SnapCompare
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await scan(pilot, lab.manager.badge_id or "")
        await pilot.press(*reversed(MANAGER_PIN), "enter")
        await settle(pilot)

    assert snap_compare(make_app(language="en"), terminal_size=SIZE, run_before=run_before)


def test_book_screen_with_a_refusal(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    from textual.coordinate import Coordinate
    from textual.widgets import DataTable

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.novice.badge_id or "")
        grid = pilot.app.screen.query_one("#grid", DataTable)
        grid.cursor_coordinate = Coordinate(8, 3)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("3", "enter")
        await settle(pilot)

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_me_screen(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.fr_maker.badge_id or "")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)
