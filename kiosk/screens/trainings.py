"""A manager who trains a category records who passed one of this site's trainings: pick the
training, scan the maker's badge (the service certifies enrolled makers, once, and only for a
trainer of the category)."""

from __future__ import annotations

from datetime import timedelta

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from fabdesk.db import session_scope, write_session
from inventory.lookups import site_equipment
from inventory.makers import find_by_badge
from inventory.trainings import list_trainings, record_passed
from kiosk.i18n import N_
from kiosk.messages import ActionDone, Scanned, TrainingLine, TrainingsListed
from kiosk.screens.table_screen import TableScreen
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput
from kiosk.widgets.table import Table

LISTED_DAYS = 30
"""Trainings that ended up to this many days ago are still listed (passes are recorded after)."""


class TrainingsScreen(TableScreen):
    TABLE = "training-list"
    KEYS = [
        ("↑↓", N_("Training")),
        ("⏎", N_("Record the training")),
        ("Esc", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.trainings: list[TrainingLine] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="trainings"):
            yield Static(self._("Trainings"), classes="title")
            yield Static(
                self._("Choose the training, then scan the badge of each maker who passed it."),
                id="prompt",
            )
            yield Table(id=self.TABLE, cursor_type="row")
            yield Static("", id="empty")
            yield ScanInput(self._("Badge or member number"), id="maker-badge")
            yield MessageLine(id="message")
        yield self.key_hints()

    @work(thread=True, exclusive=True, group="trainings", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        since = kiosk.clock() - timedelta(days=LISTED_DAYS)
        with session_scope(kiosk.engine) as session:
            names = {
                category.code: {"fr": category.name_fr, "nl": category.name_nl,
                                "en": category.name_en}
                for _item, category in site_equipment(session, kiosk.site).items
            }  # fmt: skip
            lines = [
                TrainingLine(
                    training.id or 0,
                    names.get(code) or {"fr": code, "nl": code, "en": code},
                    training.starts_at.astimezone(kiosk.zone).strftime("%d/%m/%Y %H:%M"),
                    enrolled,
                    training.state.value,
                )
                for training, code, _site, enrolled in list_trainings(
                    session, since=since, site_code=kiosk.site
                )
            ]
        self.post_message(TrainingsListed(lines))

    def on_trainings_listed(self, message: TrainingsListed) -> None:
        self.trainings = message.trainings
        self.loaded = True
        self.fill()

    def name_of(self, line: TrainingLine) -> str:
        return line.names[self.kiosk.language]

    def fill(self) -> None:
        table = self.table()
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(self._("Training"), self._("Starts"), self._("Enrolled"))
        for line in self.trainings:
            table.add_row(self.name_of(line), line.starts_at, str(line.enrolled))
        if self.trainings:
            table.move_cursor(row=min(row, len(self.trainings) - 1))
        empty = self.loaded and not self.trainings
        self.query_one("#empty", Static).update(
            self._("No training at this site lately.") if empty else ""
        )
        self.query_one("#maker-badge", ScanInput).focus()

    def on_scanned(self, message: Scanned) -> None:
        if not self.trainings:
            self.show_message(self._("There is no training to record."), error=True)
            return
        row = self.table().cursor_row
        line = self.trainings[min(row, len(self.trainings) - 1)]
        self.clear_message()
        self.record(message.value, line.training_id, self.name_of(line))

    @work(thread=True, exclusive=True, group="trainings-record", exit_on_error=False)
    def record(self, badge: str, training_id: int, training: str) -> None:
        kiosk = self.kiosk
        assert kiosk.manager is not None
        now = kiosk.clock()
        with write_session(kiosk.engine) as session:
            maker = find_by_badge(session, badge)
            granted = record_passed(
                session,
                training_id=training_id,
                trainer_id=kiosk.manager.maker_id,
                maker_ids=[maker.id or 0],
                now=now,
                granted_on=now.astimezone(kiosk.zone).date(),
            )
            name = maker.name
        text = (
            self._("{name} passed the {training} training.")
            if granted
            else self._("{name} had already passed the {training} training.")
        )
        self.post_message(ActionDone(text.format(name=name, training=training)))

    def on_action_done(self, message: ActionDone) -> None:
        self.show_message(message.text)
        self.load()
