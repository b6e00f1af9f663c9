"""Helpers for driving the kiosk in tests: wait for workers rather than sleeping."""

from __future__ import annotations

import contextlib

from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerFailed

from kiosk.app import KioskApp


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
