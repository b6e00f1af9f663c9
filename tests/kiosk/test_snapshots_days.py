"""Snapshots of issue 16's kiosk screens (SQLite only, like test_snapshots): the board on a closed
day, with the week strip and when the lab opens next."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.kiosk.conftest import SIZE, Lab
from tests.kiosk.pilot import MakeApp, scan, settle

SnapCompare = Callable[..., bool]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def test_board_on_a_closed_day(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.fr_maker.badge_id or "")
        for _ in range(5):  # Sunday 29/11
            await pilot.press("pagedown")
            await settle(pilot)

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)
