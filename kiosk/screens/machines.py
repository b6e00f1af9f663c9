"""A manager's machines: put one out of order (with a reason: its bookings are cancelled and its
makers told), back in service, record a maintenance done today, or release one checked after
its use."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from fabdesk.actors import actor_for
from fabdesk.db import write_session
from fabdesk.errors import Count
from inventory.checks import release_check
from inventory.maintenance import record_maintenance
from inventory.managers import put_back_in_service, put_out_of_order
from kiosk.i18n import N_
from kiosk.messages import ActionDone
from kiosk.screens.machine_list import MachineListScreen
from kiosk.views import STATUS_LABELS
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.table import Table
from kiosk.widgets.text_field import TextField
from scheduling.letters import BOOKINGS_CANCELLED


class MachinesScreen(MachineListScreen):
    KEYS = [
        ("F6", N_("Out of order")),
        ("F7", N_("Back in service")),
        ("F8", N_("Maintenance done")),
        ("F9", N_("Checked: release")),
        ("Esc", N_("Back")),
    ]
    BINDINGS = [
        Binding("escape", "back", show=False),
        Binding("f6", "act('out_of_order')", show=False, priority=True),
        Binding("f7", "act('in_service')", show=False, priority=True),
        Binding("f8", "act('maintenance')", show=False, priority=True),
        Binding("f9", "act('release')", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="machines-screen"):
            yield Static(self._("Machines"), classes="title")
            yield Table(id="machines", cursor_type="row", zebra_stripes=True)
            yield TextField(placeholder=self._("Reason or notes"), max_length=240, id="reason")
            yield MessageLine(id="message")
        yield self.key_hints()

    def fill(self) -> None:
        table: DataTable[str] = self.query_one("#machines", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(self._("Asset tag"), self._("Machine"), self._("Status"))
        for line in self.machines:
            table.add_row(line.asset_tag, line.name, self._(STATUS_LABELS[line.status]))
        if self.machines:
            table.move_cursor(row=min(row, len(self.machines) - 1))
        table.focus()

    def action_act(self, action: str) -> None:
        if not self.machines:
            return
        row = self.query_one("#machines", DataTable).cursor_row
        machine = self.machines[min(row, len(self.machines) - 1)]
        reason = self.query_one("#reason", Input).value
        self.clear_message()
        self.change(action, machine.asset_tag, machine.name, reason)

    @work(thread=True, exclusive=True, group="machines-change", exit_on_error=False)
    def change(self, action: str, asset_tag: str, name: str, reason: str) -> None:
        kiosk = self.kiosk
        assert kiosk.manager is not None
        now = kiosk.clock()
        with write_session(kiosk.engine) as session:
            actor = actor_for(session, kiosk.manager.maker_id, "kiosk")
            if action == "out_of_order":
                cancelled = put_out_of_order(
                    session,
                    asset_tag,
                    reason=reason,
                    actor=actor,
                    now=now,
                    settings=kiosk.settings.scheduler,
                )
                told = Count(BOOKINGS_CANCELLED, cancelled).in_language(kiosk.language)
                text = self._("{machine} is out of order; {cancelled}.").format(
                    machine=name, cancelled=told
                )
            elif action == "release":
                release_check(
                    session, asset_tag, by_maker_id=kiosk.manager.maker_id, now=now, note=reason
                )
                text = self._("{machine} is checked and back in service.").format(machine=name)
            elif action == "in_service":
                put_back_in_service(session, asset_tag, actor=actor, now=now)
                text = self._("{machine} is back in service.").format(machine=name)
            else:
                record_maintenance(
                    session,
                    asset_tag,
                    done_on=now.astimezone(kiosk.zone).date(),
                    actor=actor,
                    now=now,
                    notes=reason,
                )
                text = self._("Maintenance of {machine} recorded.").format(machine=name)
        self.post_message(ActionDone(text))

    def on_action_done(self, message: ActionDone) -> None:
        self.show_message(message.text)
        self.query_one("#reason", Input).value = ""
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)
