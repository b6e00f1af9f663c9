"""A manager answers the makers' charge disputes: accept (the charge is reversed in the ledger)
or refuse with a reason the maker is told."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from fabdesk.accounting.disputes import accept_dispute, list_disputes, refuse_dispute
from fabdesk.accounting.months import ledger_zone
from fabdesk.accounting.statements import charge_lines
from fabdesk.actors import actor_for
from fabdesk.db import session_scope, write_session
from kiosk.i18n import N_
from kiosk.messages import ActionDone, DisputeLine, DisputesListed
from kiosk.screens.table_screen import TableScreen
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.table import Table
from kiosk.widgets.text_field import TextField


class DisputesScreen(TableScreen):
    TABLE = "open-disputes"
    KEYS = [
        ("↑↓", N_("Dispute")),
        ("F6", N_("Accept")),
        ("F7", N_("Refuse")),
        ("Esc", N_("Back")),
    ]
    BINDINGS = [
        Binding("f6", "decide(True)", show=False, priority=True),
        Binding("f7", "decide(False)", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.disputes: list[DisputeLine] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="disputes"):
            yield Static(self._("Charge disputes"), classes="title")
            yield Table(id=self.TABLE, cursor_type="row", zebra_stripes=True)
            yield Static("", id="empty")
            yield TextField(
                placeholder=self._("Reason (needed to refuse)"), max_length=500, id="reason"
            )
            yield MessageLine(id="message")
        yield self.key_hints()

    @work(thread=True, exclusive=True, group="disputes", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        assert kiosk.manager is not None
        with session_scope(kiosk.engine) as session:
            disputes = list_disputes(session, actor_for(session, kiosk.manager.maker_id, "kiosk"))
            charges = charge_lines(session, [d.usage_charge_id for d in disputes])
            lines = [
                DisputeLine(
                    dispute.id or 0,
                    dispute.opened_at.astimezone(kiosk.zone).strftime("%d/%m/%Y"),
                    charges[dispute.usage_charge_id].machine,
                    charges[dispute.usage_charge_id].total_cents,
                    dispute.reason,
                )
                for dispute in disputes
            ]
        self.post_message(DisputesListed(lines))

    def on_disputes_listed(self, message: DisputesListed) -> None:
        self.disputes = message.disputes
        self.loaded = True
        self.fill()

    def fill(self) -> None:
        self.refill(
            [self._("No."), self._("Opened"), self._("Machine"), self._("Amount"), self._("Why")],
            [
                [
                    str(line.dispute_id),
                    line.opened_on,
                    line.machine,
                    self.kiosk.words.money(line.amount_cents),
                    line.reason[:60],
                ]
                for line in self.disputes
            ],
        )
        empty = self.loaded and not self.disputes
        self.query_one("#empty", Static).update(self._("No open dispute.") if empty else "")
        self.query_one("#reason", Input).focus()

    def action_decide(self, accept: bool) -> None:
        if not self.disputes:
            return
        row = self.table().cursor_row
        line = self.disputes[min(row, len(self.disputes) - 1)]
        reason = self.query_one("#reason", Input).value
        self.clear_message()
        self.decide(line.dispute_id, accept, reason)

    @work(thread=True, exclusive=True, group="disputes-decide", exit_on_error=False)
    def decide(self, dispute_id: int, accept: bool, reason: str) -> None:
        kiosk = self.kiosk
        assert kiosk.manager is not None
        manager, now = kiosk.manager.maker_id, kiosk.clock()
        with write_session(kiosk.engine) as session:
            actor = actor_for(session, manager, "kiosk")
            if accept:
                accept_dispute(
                    session,
                    dispute_id=dispute_id,
                    actor=actor,
                    now=now,
                    zone=ledger_zone(kiosk.settings.scheduler),
                    note=reason,
                )
                text = self._("Dispute {id} accepted: the charge is reversed.")
            else:
                refuse_dispute(session, dispute_id=dispute_id, actor=actor, reason=reason, now=now)
                text = self._("Dispute {id} refused; the maker is told why.")
        self.post_message(ActionDone(text.format(id=dispute_id)))

    def on_action_done(self, message: ActionDone) -> None:
        self.show_message(message.text)
        self.query_one("#reason", Input).value = ""
        self.load()
