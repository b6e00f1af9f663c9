"""The base of the manager's screens that list the site's machines: load them in a worker, then
`fill` the table (each screen draws its own columns)."""

from __future__ import annotations

from textual import work

from kiosk.messages import MachineLine, MachinesListed
from kiosk.screens.table_screen import LoadedScreen
from kiosk.views import read_machines


class MachineListScreen(LoadedScreen):
    def __init__(self) -> None:
        super().__init__()
        self.machines: list[MachineLine] = []

    @work(thread=True, exclusive=True, group="machines", exit_on_error=False)
    def load(self) -> None:
        site_name, machines = read_machines(self.kiosk.engine, self.kiosk.site)
        self.post_message(MachinesListed(site_name, machines))

    def on_machines_listed(self, message: MachinesListed) -> None:
        self.machines = message.machines
        self.fill()
