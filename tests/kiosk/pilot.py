"""Helpers for driving the kiosk in tests: wait for workers rather than sleeping."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from textual.coordinate import Coordinate
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerFailed

from kiosk.app import KioskApp
from kiosk.screens.board import BoardScreen
from kiosk.screens.manager_home import ManagerHomeScreen
from kiosk.widgets.board_grid import BoardGrid
from tests.kiosk.conftest import MANAGER_PIN, Lab

MakeApp = Callable[..., KioskApp]
"""The `make_app` fixture: a kiosk app on the test lab's database."""


async def settle(pilot: Pilot[None]) -> None:
    """Wait until no worker runs and every message they posted was handled."""
    app = pilot.app
    for _ in range(20):
        # A failed worker is the app's business (its handler shows it); here we only wait.
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            await pilot.pause()
            if not any(worker.is_running for worker in app.workers):
                return


async def scan(pilot: Pilot[None], value: str) -> None:
    """Type `value` as a scanner does (fast, then Enter) and wait for the result."""
    await pilot.press(*value, "enter")
    await settle(pilot)


def screen_text(app: KioskApp) -> str:
    """Everything the static texts of the current screen say, one per line."""
    return "\n".join(str(widget.render()) for widget in app.screen.query(Static))


async def open_board(pilot: Pilot[None], badge: str) -> BoardScreen:
    await settle(pilot)
    await scan(pilot, badge)
    screen = pilot.app.screen
    assert isinstance(screen, BoardScreen)
    assert screen.view is not None
    return screen


async def pick(pilot: Pilot[None], board: BoardScreen, name_start: str, hour: int) -> None:
    """Put the cursor on the machine whose name starts so, at `hour` o'clock, and press Enter."""
    assert board.view is not None
    row = next(i for i, r in enumerate(board.view.rows) if r.name.startswith(name_start))
    column = 1 + next(i for i, h in enumerate(board.view.hours) if h.hour == hour)
    board.query_one("#grid", BoardGrid).cursor_coordinate = Coordinate(row, column)
    await pilot.press("enter")
    await settle(pilot)


def kinds(board: BoardScreen, name_start: str) -> list[str]:
    assert board.view is not None
    row = next(r for r in board.view.rows if r.name.startswith(name_start))
    return [slot.kind for slot in row.slots]


async def manager_home(pilot: Pilot[None], lab: Lab) -> None:
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    await scan(pilot, lab.manager.badge_id or "")
    await pilot.press(*MANAGER_PIN, "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ManagerHomeScreen)
