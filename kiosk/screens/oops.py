"""The screens shown instead of a traceback: something unexpected failed (and was logged), or the
booking system cannot be reached (and the kiosk retries until it can)."""

from __future__ import annotations

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.widgets import Static

from fabdesk.errors import DatabaseUnavailable
from kiosk.i18n import N_
from kiosk.messages import DatabaseBack
from kiosk.screens.base import KioskScreen

RETRY_SECONDS = 2.0
"""How often the kiosk tries the database again while it is unavailable."""


def notice(title: str, text: str) -> ComposeResult:
    with Middle(), Center():
        yield Static(title, classes="notice-title")
        yield Static(text, classes="notice-text")


class OopsScreen(KioskScreen):
    KEYS = [("⏎", N_("Back to the start"))]

    def compose(self) -> ComposeResult:
        yield from notice(
            self._("Something went wrong."),
            self._("It was written in the kiosk's log. Please try again, or ask someone here."),
        )
        yield self.key_hints()

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.kiosk.forget()

    def on_click(self) -> None:
        self.kiosk.forget()


class UnavailableScreen(KioskScreen):
    """Shown while the database cannot be reached; it comes back to Welcome by itself."""

    def compose(self) -> ComposeResult:
        yield from notice(
            self._("The booking system is unavailable."),
            self._("Retrying… The kiosk comes back by itself as soon as it can."),
        )

    def on_mount(self) -> None:
        self.set_interval(RETRY_SECONDS, self.retry)

    def on_key(self, event: events.Key) -> None:
        event.stop()  # nothing to do until the database answers

    @work(thread=True, exclusive=True, group="database-retry", exit_on_error=False)
    def retry(self) -> None:
        from fabdesk.db import check_connection

        try:
            check_connection(self.kiosk.engine)
        except DatabaseUnavailable:
            return
        self.post_message(DatabaseBack())

    def on_database_back(self) -> None:
        self.kiosk.database_back()
