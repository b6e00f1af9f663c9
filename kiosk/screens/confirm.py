"""A yes/no question before something a person cannot take back: Enter or Y says yes, Esc or N
says no."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.widgets import Static

from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen


class ConfirmScreen(KioskScreen):
    KEYS = [("⏎", N_("Yes")), ("Esc", N_("No"))]
    BINDINGS = [
        Binding("enter,y,j,o", "answer(True)", show=False, priority=True),
        Binding("escape,n", "answer(False)", show=False, priority=True),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(self.question, classes="notice-title")
        yield self.key_hints()

    def action_answer(self, yes: bool) -> None:
        self.dismiss("yes" if yes else None)
