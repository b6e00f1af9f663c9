"""The network at a glance: each site in a tab with its machines."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, TabbedContent, TabPane

from fabdesk.db import Engine, session_scope
from inventory.register import SiteEquipment, list_sites, site_equipment


class OverviewScreen(Screen[None]):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    def compose(self) -> ComposeResult:
        yield Header()
        yield TabbedContent(id="sites")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="overview")
    def load(self) -> None:
        with session_scope(self.engine) as session:
            listings = [site_equipment(session, site.code) for site in list_sites(session)]
        self.app.call_from_thread(self.show, listings)  # type: ignore[arg-type]

    async def show(self, listings: list[SiteEquipment]) -> None:
        tabs = self.query_one("#sites", TabbedContent)
        for listing in listings:
            table: DataTable[str] = DataTable(zebra_stripes=True, cursor_type="row")
            table.add_columns("Asset tag", "Machine", "Category", "Location", "Status")
            for item, category in listing.items:
                table.add_row(
                    item.asset_tag, item.name, category.name_en, item.location, item.status.value
                )
            await tabs.add_pane(TabPane(listing.site.name, table, id=listing.site.code))
