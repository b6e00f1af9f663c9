"""A manager records that makers passed a training: scan the maker's badge, pick the category."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from fabdesk.db import session_scope
from inventory.makers import certify, find_by_badge
from inventory.register import site_equipment
from kiosk.i18n import N_
from kiosk.messages import ActionDone, Scanned
from kiosk.screens.base import KioskScreen
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput


class TrainingsScreen(KioskScreen):
    KEYS = [("⏎", N_("Record the training")), ("Esc", N_("Back"))]
    BINDINGS = [Binding("escape", "back", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.badge = ""
        self.categories: list[tuple[str, dict[str, str]]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="trainings"):
            yield Static(self._("Trainings"), classes="title")
            yield Static(
                self._("Scan the maker's badge, then choose the training they passed."),
                id="prompt",
            )
            yield ScanInput(self._("Badge or member number"), id="maker-badge")
            yield DataTable(id="categories", cursor_type="row")
            yield MessageLine(id="message")
        yield self.key_hints()

    def on_mount(self) -> None:
        self.load()

    def after_recompose(self) -> None:
        self.fill()

    @work(thread=True, exclusive=True, group="trainings", exit_on_error=False)
    def load(self) -> None:
        with session_scope(self.kiosk.engine) as session:
            # The trainings of the machines of this site.
            seen: dict[str, dict[str, str]] = {}
            for _item, c in site_equipment(session, self.kiosk.site).items:
                if c.needs_training:
                    seen.setdefault(c.code, {"fr": c.name_fr, "nl": c.name_nl, "en": c.name_en})
            categories = list(seen.items())
        self.categories = categories
        self.post_message(ActionDone(""))

    def fill(self) -> None:
        table: DataTable[str] = self.query_one("#categories", DataTable)
        table.clear(columns=True)
        table.add_columns(self._("Training"))
        for _code, names in self.categories:
            table.add_row(names[self.kiosk.language])
        self.query_one("#maker-badge", ScanInput).focus()

    def on_scanned(self, message: Scanned) -> None:
        self.badge = message.value
        self.clear_message()
        self.query_one("#categories", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if not self.badge:
            self.show_message(self._("Scan the maker's badge first."), error=True)
            self.query_one("#maker-badge", ScanInput).focus()
            return
        code, names = self.categories[event.cursor_row]
        self.record(self.badge, code, names[self.kiosk.language])

    @work(thread=True, exclusive=True, group="trainings-record", exit_on_error=False)
    def record(self, badge: str, code: str, training: str) -> None:
        kiosk = self.kiosk
        with session_scope(kiosk.engine) as session:
            maker = find_by_badge(session, badge)
            certify(session, maker, code, granted_on=kiosk.clock().astimezone(kiosk.zone).date())
            name = maker.name
        self.post_message(
            ActionDone(self._("{name} passed the {training} training.").format(
                name=name, training=training))
        )  # fmt: skip

    def on_action_done(self, message: ActionDone) -> None:
        if message.text:
            self.show_message(message.text)
            self.badge = ""
        self.fill()

    def action_back(self) -> None:
        self.dismiss(None)
