"""A maker disputes one of their charges: pick it, say why; a manager will accept or refuse."""

from __future__ import annotations

from datetime import timedelta

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from fabdesk.accounting.disputes import disputable_charges, open_dispute
from fabdesk.accounting.statements import ChargeLine, charge_lines
from fabdesk.db import session_scope, write_session
from kiosk.i18n import N_
from kiosk.messages import ActionDone, ChargesListed
from kiosk.screens.table_screen import TableScreen
from kiosk.views import charge_cells
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.table import Table
from kiosk.widgets.text_field import TextField

LISTED_DAYS = 90
"""How far back the list of charges goes."""


class DisputeScreen(TableScreen):
    TABLE = "charges"
    KEYS = [("↑↓", N_("Charge")), ("⏎", N_("Dispute it")), ("Esc", N_("Back"))]

    def __init__(self) -> None:
        super().__init__()
        self.charges: list[ChargeLine] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dispute"):
            yield Static(self._("Dispute a charge"), classes="title")
            yield Static(
                self._("Choose the charge, say why, press Enter: a manager will answer."),
                id="prompt",
            )
            yield Table(id=self.TABLE, cursor_type="row")
            yield Static("", id="empty")
            yield TextField(placeholder=self._("Why? (a few words)"), max_length=500, id="reason")
            yield MessageLine(id="message")
        yield self.key_hints()

    @work(thread=True, exclusive=True, group="dispute", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        assert kiosk.maker is not None
        since = kiosk.clock().astimezone(kiosk.zone).date() - timedelta(days=LISTED_DAYS)
        with session_scope(kiosk.engine) as session:
            charges = disputable_charges(session, kiosk.maker.maker_id, since=since)
            lines = charge_lines(session, [charge.id or 0 for charge in charges])
        self.post_message(ChargesListed([lines[c.id or 0] for c in charges]))

    def on_charges_listed(self, message: ChargesListed) -> None:
        self.charges = message.charges
        self.loaded = True
        self.fill()

    def fill(self) -> None:
        table = self.table()
        table.clear(columns=True)
        table.add_columns(
            self._("Day"),
            self._("Machine"),
            self._("Amount"),
            self._("Cheques"),
            self._("You"),
            self._("Status"),
        )
        table.add_rows([charge_cells(line, self.kiosk.language) for line in self.charges])
        empty = self.loaded and not self.charges
        self.query_one("#empty", Static).update(
            self._("You have no charge to dispute.") if empty else ""
        )
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.charges:
            return
        row = self.table().cursor_row
        charge = self.charges[min(row, len(self.charges) - 1)]
        self.clear_message()
        self.send(charge.charge_id, event.value)

    @work(thread=True, exclusive=True, group="dispute-open", exit_on_error=False)
    def send(self, charge_id: int, reason: str) -> None:
        kiosk = self.kiosk
        assert kiosk.maker is not None
        with write_session(kiosk.engine) as session:
            open_dispute(
                session,
                maker_id=kiosk.maker.maker_id,
                charge_id=charge_id,
                reason=reason,
                now=kiosk.clock(),
            )
        self.post_message(
            ActionDone(self._("Your dispute is sent: a manager will accept or refuse it."))
        )

    def on_action_done(self, message: ActionDone) -> None:
        self.dismiss(message.text)
