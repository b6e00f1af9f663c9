"""A manager proves who they are: badge, then PIN."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from fabdesk.db import write_session
from inventory.managers import log_in
from kiosk.i18n import N_
from kiosk.messages import ManagerLoggedIn, Person, Scanned
from kiosk.screens.base import KioskScreen
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput


class ManagerLoginScreen(KioskScreen):
    KEYS = [("⏎", N_("Next")), ("Esc", N_("Back"))]
    BINDINGS = [Binding("escape", "back", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.badge = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="manager-login"):
            yield Static(self._("Manager"), classes="title")
            yield Static(self._("Scan your badge, then type your PIN."), id="prompt")
            yield ScanInput(self._("Badge or member number"), id="badge")
            yield Input(
                placeholder=self._("PIN"),
                password=True,
                restrict=r"[0-9]*",
                max_length=8,
                id="pin",
            )
            yield MessageLine(id="message")
        yield self.key_hints()

    def on_mount(self) -> None:
        self.after_recompose()

    def after_recompose(self) -> None:
        self.query_one("#badge", ScanInput).focus()

    def on_scanned(self, message: Scanned) -> None:
        self.badge = message.value
        self.clear_message()
        self.query_one("#badge", ScanInput).placeholder = "•" * min(len(self.badge), 12)
        self.query_one("#pin", Input).focus()

    @on(Input.Submitted, "#pin")
    def _pin_entered(self, event: Input.Submitted) -> None:
        pin = event.value
        event.input.value = ""
        if not self.badge:
            self.show_message(self._("Scan your badge first."), error=True)
            self.query_one("#badge", ScanInput).focus()
            return
        self.log_in(self.badge, pin)

    @work(thread=True, exclusive=True, group="manager-login", exit_on_error=False)
    def log_in(self, badge: str, pin: str) -> None:
        # A write transaction from the start: on SQLite it waits for a busy database (the server
        # ingesting) instead of failing, so every attempt is counted.
        with write_session(self.kiosk.engine) as session:
            login = log_in(session, badge, pin, now=self.kiosk.clock(), site_code=self.kiosk.site)
        login.raise_for_refusal()
        assert login.maker_id is not None
        self.post_message(ManagerLoggedIn(Person(login.maker_id, login.name, login.language)))

    def on_manager_logged_in(self, message: ManagerLoggedIn) -> None:
        from kiosk.screens.manager_home import ManagerHomeScreen

        self.kiosk.manager = message.person
        self.kiosk.language = message.person.language
        self.app.switch_screen(ManagerHomeScreen())

    def action_back(self) -> None:
        self.kiosk.forget()
