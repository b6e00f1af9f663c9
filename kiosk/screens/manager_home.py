"""The manager's home: the machines of the site, and the manager's tasks."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kiosk.i18n import N_
from kiosk.screens.machine_list import MachineListScreen
from kiosk.views import STATUS_LABELS
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.table import Table


class ManagerHomeScreen(MachineListScreen):
    KEYS = [
        ("A", N_("Audit")),
        ("M", N_("Machines")),
        ("T", N_("Trainings")),
        ("D", N_("Disputes")),
        ("U", N_("Unattributed use")),
        ("Esc", N_("Log out")),
    ]
    BINDINGS = [
        Binding("escape", "log_out", show=False),
        Binding("a", "audit", show=False),
        Binding("m", "machines", show=False),
        Binding("t", "trainings", show=False),
        Binding("d", "disputes", show=False),
        Binding("u", "unattributed", show=False),
    ]

    def compose(self) -> ComposeResult:
        manager = self.kiosk.manager
        with Vertical(id="manager-home"):
            yield Static(
                self._("Manager: {name}").format(name=manager.name if manager else ""),
                classes="title",
            )
            yield Table(id="machines", cursor_type="row", zebra_stripes=True)
            yield MessageLine(id="message")
        yield self.key_hints()

    def fill(self) -> None:
        table: DataTable[str] = self.query_one("#machines", DataTable)
        table.clear(columns=True)
        table.add_columns(self._("Asset tag"), self._("Machine"), self._("Status"))
        for line in self.machines:
            table.add_row(line.asset_tag, line.name, self._(STATUS_LABELS[line.status]))
        table.focus()

    def on_screen_resume(self) -> None:
        self.load()

    def action_audit(self) -> None:
        from kiosk.screens.audit import AuditScreen

        self.app.push_screen(AuditScreen(), callback=self.done)

    def action_machines(self) -> None:
        from kiosk.screens.machines import MachinesScreen

        self.app.push_screen(MachinesScreen(), callback=self.done)

    def action_trainings(self) -> None:
        from kiosk.screens.trainings import TrainingsScreen

        self.app.push_screen(TrainingsScreen(), callback=self.done)

    def action_disputes(self) -> None:
        from kiosk.screens.disputes import DisputesScreen

        self.app.push_screen(DisputesScreen(), callback=self.done)

    def action_unattributed(self) -> None:
        from kiosk.screens.unattributed import UnattributedScreen

        self.app.push_screen(UnattributedScreen(), callback=self.done)

    def action_log_out(self) -> None:
        self.kiosk.forget()
