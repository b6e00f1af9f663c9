"""The kiosk application: settings and engine in, screens on top, nothing of the database inside."""

from __future__ import annotations

from contextvars import ContextVar

from textual.app import App
from textual.binding import Binding

from fabdesk.db import Engine
from fabdesk.settings import Settings
from kiosk.screens.overview import OverviewScreen

current_settings: ContextVar[Settings] = ContextVar("current_settings")


class KioskApp(App[None]):
    """fabdesk at a lab's terminal."""

    TITLE = "fabdesk"
    CSS_PATH = "kiosk.tcss"
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=True)]

    def __init__(self, *, settings: Settings, engine: Engine) -> None:
        super().__init__()
        self.settings = settings
        self.engine = engine
        current_settings.set(settings)

    def on_mount(self) -> None:
        self.push_screen(OverviewScreen(self.engine))
