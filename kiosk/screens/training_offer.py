"""Guidance after a refusal for a missing or lapsed training: the next trainings that certify for
the machine (this site's first), and Enter enrols the maker in the one chosen."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from fabdesk.db import session_scope, write_session
from inventory.lookups import get_site
from inventory.trainings import TrainingOffer, enrol, trainings_for_machine
from kiosk.i18n import N_
from kiosk.messages import ActionDone, TrainingsOffered
from kiosk.screens.table_screen import TableScreen
from kiosk.widgets.message_line import MessageLine

TRAINING_REFUSALS = frozenset({"not_certified", "training_lapsed"})
"""The refusal codes a training cures."""


class TrainingOfferScreen(TableScreen):
    TABLE = "training-offers"
    KEYS = [("↑↓", N_("Training")), ("⏎", N_("Enrol")), ("Esc", N_("Back"))]
    BINDINGS = [*TableScreen.BINDINGS, Binding("enter", "enrol", show=False, priority=True)]

    def __init__(self, equipment_id: int, refusal: str) -> None:
        super().__init__()
        self.equipment_id = equipment_id
        self.refusal = refusal
        """The refusal, as the maker was told it."""
        self.offers: list[TrainingOffer] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="training-offer"):
            yield Static(self.refusal, id="refusal")
            yield Static(self._("The next trainings for this machine:"), classes="title")
            yield DataTable(id=self.TABLE, cursor_type="row")
            yield Static("", id="empty")
            yield MessageLine(id="message")
        yield self.key_hints()

    @work(thread=True, exclusive=True, group="training-offers", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        with session_scope(kiosk.engine) as session:
            site_id = get_site(session, kiosk.site).id
            offers = trainings_for_machine(
                session, self.equipment_id, now=kiosk.clock(), site_id=site_id
            )
        self.post_message(TrainingsOffered(offers))

    def on_trainings_offered(self, message: TrainingsOffered) -> None:
        self.offers = message.offers
        self.loaded = True
        self.fill()

    def fill(self) -> None:
        words = self.kiosk.words
        table = self.table()
        table.clear(columns=True)
        table.add_columns(self._("When"), self._("Where"), self._("Seats left"))
        for offer in self.offers:
            table.add_row(
                words.when(offer.starts_at, self.kiosk.timezone),
                offer.site_name,
                str(offer.seats_left),
            )
        empty = self.loaded and not self.offers
        self.query_one("#empty", Static).update(
            self._("No training is planned yet: ask the lab team.") if empty else ""
        )
        table.focus()

    def action_enrol(self) -> None:
        maker = self.kiosk.maker
        if maker is None or not self.offers:
            return
        chosen = self.offers[min(self.table().cursor_row, len(self.offers) - 1)]
        self.enrol(maker.maker_id, chosen)

    @work(thread=True, exclusive=True, group="training-enrol", exit_on_error=False)
    def enrol(self, maker_id: int, offer: TrainingOffer) -> None:
        kiosk = self.kiosk
        with write_session(kiosk.engine) as session:
            enrol(session, training_id=offer.training_id, maker_id=maker_id, now=kiosk.clock())
        text = self._("You are enrolled in the training of {when} at {site}.").format(
            when=kiosk.words.when(offer.starts_at, kiosk.timezone), site=offer.site_name
        )
        self.post_message(ActionDone(text))

    def on_action_done(self, message: ActionDone) -> None:
        self.dismiss(message.text)
