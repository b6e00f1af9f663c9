"""The maker's board: the machines of the site and their state."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kiosk.i18n import N_
from kiosk.messages import MachineLine, MachinesListed
from kiosk.screens.base import KioskScreen
from kiosk.views import STATUS_LABELS, read_machines
from kiosk.widgets.message_line import MessageLine


class BoardScreen(KioskScreen):
    KEYS = [("↑↓←→", N_("Move")), ("Esc", N_("Log out"))]
    BINDINGS = [Binding("escape", "log_out", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.site_name = ""
        self.machines: list[MachineLine] = []

    def compose(self) -> ComposeResult:
        maker = self.kiosk.maker
        with Vertical(id="board"):
            yield Static(
                self._("Hello {name}").format(name=maker.name if maker else ""),
                id="greeting",
                classes="title",
            )
            yield Static(self.site_name, id="site-name")
            yield DataTable(id="machines", cursor_type="row", zebra_stripes=True)
            yield MessageLine(id="message")
        yield self.key_hints()

    def on_mount(self) -> None:
        self.load()

    def after_recompose(self) -> None:
        self.fill()

    @work(thread=True, exclusive=True, group="board", exit_on_error=False)
    def load(self) -> None:
        site_name, machines = read_machines(self.kiosk.engine, self.kiosk.site)
        self.post_message(MachinesListed(site_name, machines))

    def on_machines_listed(self, message: MachinesListed) -> None:
        self.site_name = message.site_name
        self.machines = message.machines
        self.query_one("#site-name", Static).update(self.site_name)
        self.fill()

    def fill(self) -> None:
        table: DataTable[str] = self.query_one("#machines", DataTable)
        table.clear(columns=True)
        table.add_columns(self._("Machine"), self._("Kind"), self._("Status"))
        language = self.kiosk.language
        for line in self.machines:
            table.add_row(line.name, line.category[language], self._(STATUS_LABELS[line.status]))
        table.focus()

    def action_log_out(self) -> None:
        self.kiosk.forget()
