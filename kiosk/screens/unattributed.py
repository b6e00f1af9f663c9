"""A manager assigns the uses nobody could be named for (no badge, no booking): pick the session,
scan the badge of the maker who ran it (or F6: the lab's own use); it is charged then, once."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from fabdesk.accounting.months import ledger_zone
from fabdesk.accounting.pricing import PriceRules
from fabdesk.actors import actor_for
from fabdesk.db import session_scope, write_session
from fabdesk.usage.unattributed import (
    Assignee,
    assign_session,
    resolve_assignee,
    unattributed_sessions,
)
from kiosk.i18n import N_
from kiosk.messages import ActionDone, WaitingUseLine, WaitingUseListed
from kiosk.screens.table_screen import TableScreen
from kiosk.widgets.message_line import MessageLine


class UnattributedScreen(TableScreen):
    TABLE = "waiting-uses"
    KEYS = [
        ("↑↓", N_("Session")),
        ("Enter", N_("Assign to the badge scanned")),
        ("F6", N_("Lab's own use")),
        ("F7", N_("Uses allowed offline, refused")),
        ("Esc", N_("Back")),
    ]
    BINDINGS = [
        Binding("f6", "lab_use", show=False, priority=True),
        Binding("f7", "flagged", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[WaitingUseLine] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="unattributed"):
            yield Static(self._("Uses nobody could be named for"), classes="title")
            yield DataTable(id=self.TABLE, cursor_type="row", zebra_stripes=True)
            yield Static("", id="empty")
            yield Input(placeholder=self._("Scan the badge of the maker who used it"), id="badge")
            yield MessageLine(id="message")
        yield self.key_hints()

    @work(thread=True, exclusive=True, group="unattributed", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        with session_scope(kiosk.engine) as session:
            lines = [
                WaitingUseLine(
                    found.id,
                    found.equipment_tag,
                    found.ended_at.astimezone(kiosk.zone).strftime("%d/%m/%Y %H:%M"),
                    f"{found.active_seconds / 60:.0f}",
                    found.job_name or "",
                )
                for found in unattributed_sessions(
                    session, zone=ledger_zone(kiosk.settings.scheduler), site_code=kiosk.site
                )
            ]
        self.post_message(WaitingUseListed(lines))

    def on_waiting_use_listed(self, message: WaitingUseListed) -> None:
        self.lines = message.lines
        self.loaded = True
        self.fill()

    def fill(self) -> None:
        self.refill(
            [self._("No."), self._("Machine"), self._("Ended"), self._("Minutes"), self._("Job")],
            [
                [str(line.session_id), line.machine, line.ended_on, line.minutes, line.job]
                for line in self.lines
            ],
        )
        empty = self.loaded and not self.lines
        self.query_one("#empty", Static).update(
            self._("Every use has someone to pay for it.") if empty else ""
        )
        self.query_one("#badge", Input).focus()

    def _selected(self) -> int | None:
        if not self.lines:
            return None
        return self.lines[min(self.table().cursor_row, len(self.lines) - 1)].session_id

    def on_input_submitted(self, event: Input.Submitted) -> None:
        selected = self._selected()
        if selected is not None and event.value.strip():
            self.clear_message()
            self.assign(selected, event.value.strip())

    def action_lab_use(self) -> None:
        selected = self._selected()
        if selected is not None:
            self.clear_message()
            self.assign(selected, None)

    def action_flagged(self) -> None:
        from kiosk.screens.flagged import FlaggedScreen

        self.app.push_screen(FlaggedScreen())

    @work(thread=True, exclusive=True, group="unattributed-assign", exit_on_error=False)
    def assign(self, session_id: int, badge: str | None) -> None:
        kiosk = self.kiosk
        assert kiosk.manager is not None
        rules = PriceRules.from_settings(
            kiosk.settings.accounting, kiosk.settings.scheduler.timezone
        )
        with write_session(kiosk.engine) as session:
            assignee: Assignee = resolve_assignee(
                session, maker=badge, lab=None if badge else kiosk.site
            )
            assign_session(
                session,
                session_id,
                assignee,
                actor=actor_for(session, kiosk.manager.maker_id, "kiosk"),
                now=kiosk.clock(),
                rules=rules,
            )
        text = self._("Session {id} assigned and charged.")
        self.post_message(ActionDone(text.format(id=session_id)))

    def on_action_done(self, message: ActionDone) -> None:
        self.show_message(message.text)
        self.query_one("#badge", Input).value = ""
        self.load()
