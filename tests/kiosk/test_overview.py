"""The first kiosk screen shows every site with its machines."""

from __future__ import annotations

from datetime import date

from textual.widgets import DataTable, TabbedContent

from fabdesk.db import Engine, session_scope
from fabdesk.settings import Settings
from inventory.seed import seed
from kiosk.app import KioskApp


async def test_overview_lists_sites_and_machines(settings: Settings, engine: Engine) -> None:
    with session_scope(engine) as session:
        seed(session, today=date(2026, 11, 22))
    app = KioskApp(settings=settings, engine=engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        tabs = app.screen.query_one(TabbedContent)
        assert [pane.id for pane in tabs.query("TabPane")] == ["cityfab1", "cityfab2", "cityfab3"]
        table = app.screen.query_one("#cityfab1 DataTable", DataTable)
        assert table.row_count == 16
