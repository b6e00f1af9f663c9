"""The apology shown instead of a traceback: something unexpected failed, and it was logged."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.widgets import Static

from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen


class OopsScreen(KioskScreen):
    KEYS = [("⏎", N_("Back to the start"))]

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(self._("Something went wrong."), id="oops-title")
            yield Static(
                self._("It was noted for the lab team. Please try again, or ask someone here."),
                id="oops-text",
            )
        yield self.key_hints()

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.kiosk.forget()

    def on_click(self) -> None:
        self.kiosk.forget()
