"""A maker reports a problem with a machine of this site: pick the machine, say how serious, say
what is wrong. A serious problem puts the machine out of order at once (the service cancels or
moves its bookings and tells their makers); the others go to the managers."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from fabdesk.db import write_session
from fabdesk.errors import Count
from kiosk.i18n import N_
from kiosk.messages import ActionDone
from kiosk.screens.machine_list import MachineListScreen
from kiosk.views import SEVERITIES, STATUS_LABELS
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.table import Table
from kiosk.widgets.text_field import TextField
from scheduling.letters import BOOKINGS_CANCELLED
from scheduling.problems import report_problem


class ProblemScreen(MachineListScreen):
    KEYS = [
        ("↑↓", N_("Machine")),
        ("F6", N_("Minor")),
        ("F7", N_("Serious")),
        ("⏎", N_("Send the report")),
        ("Esc", N_("Back")),
    ]
    BINDINGS = [
        Binding("escape", "back", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("f6", "severity(False)", show=False, priority=True),
        Binding("f7", "severity(True)", show=False, priority=True),
    ]

    def __init__(self, asset_tag: str | None = None) -> None:
        super().__init__()
        self.wanted = asset_tag
        """The machine to start on (the one under the board's cursor)."""
        self.serious = False

    def compose(self) -> ComposeResult:
        with Vertical(id="problem"):
            yield Static(self._("Report a problem"), classes="title")
            yield Table(id="machines", cursor_type="row", zebra_stripes=True)
            yield Static(self.severity_text(), id="severity")
            yield TextField(
                placeholder=self._("What is wrong? (a few words)"), max_length=240, id="text"
            )
            yield MessageLine(id="message")
        yield self.key_hints()

    def severity_text(self) -> str:
        return self._("Severity: {severity}").format(severity=self._(SEVERITIES[self.serious]))

    def fill(self) -> None:
        table: DataTable[str] = self.query_one("#machines", DataTable)
        row = table.cursor_row
        if self.wanted is not None:
            row = next(
                (i for i, line in enumerate(self.machines) if line.asset_tag == self.wanted), row
            )
            self.wanted = None
        table.clear(columns=True)
        table.add_columns(self._("Machine"), self._("Asset tag"), self._("Status"))
        for line in self.machines:
            table.add_row(line.name, line.asset_tag, self._(STATUS_LABELS[line.status]))
        if self.machines:
            table.move_cursor(row=min(row, len(self.machines) - 1))
        self.query_one("#text", Input).focus()

    def action_move(self, rows: int) -> None:
        table: DataTable[str] = self.query_one("#machines", DataTable)
        table.move_cursor(row=max(0, table.cursor_row + rows))

    def action_severity(self, serious: bool) -> None:
        self.serious = serious
        self.query_one("#severity", Static).update(self.severity_text())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.machines:
            return
        row = self.query_one("#machines", DataTable).cursor_row
        machine = self.machines[min(row, len(self.machines) - 1)]
        self.clear_message()
        self.send(machine.equipment_id, machine.name, event.value, self.serious)

    @work(thread=True, exclusive=True, group="problem", exit_on_error=False)
    def send(self, equipment_id: int, name: str, text: str, serious: bool) -> None:
        kiosk = self.kiosk
        assert kiosk.maker is not None
        with write_session(kiosk.engine) as session:
            reported = report_problem(
                session,
                maker_id=kiosk.maker.maker_id,
                equipment_id=equipment_id,
                text=text,
                serious=serious,
                now=kiosk.clock(),
                desk=kiosk.settings.desk,
                settings=kiosk.settings.scheduler,
            )
            cancelled = len(reported.cancelled)
        if serious:
            told = Count(BOOKINGS_CANCELLED, cancelled).in_language(kiosk.language)
            sentence = self._("Thank you. {machine} is now out of order; {cancelled}.").format(
                machine=name, cancelled=told
            )
        else:
            sentence = self._("Thank you. The managers will look at {machine}.").format(
                machine=name
            )
        self.post_message(ActionDone(sentence))

    def on_action_done(self, message: ActionDone) -> None:
        self.dismiss(message.text)

    def action_back(self) -> None:
        self.dismiss(None)
