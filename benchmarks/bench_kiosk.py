"""Kiosk budgets: scan to board, redrawing a 40-machine board (cold start: `bench_kiosk_start`).

`python -m benchmarks bench_kiosk`. Runs headless on a seeded SQLite file in a temporary folder;
prints the median (and the worst) of a few runs of each scenario.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable

from fabdesk.db import Engine, make_engine, session_scope, upgrade
from fabdesk.settings import Settings, load_settings
from kiosk.views import BoardRow, BoardView, Slot

SCAN_RUNS = 15
REDRAW_RUNS = 20
SIZE = (120, 50)

Runs = tuple[list[float], list[float]]
"""Wall times and CPU times of the runs of one scenario."""


def _settings(url: str) -> Settings:
    return load_settings(overrides={"database": {"url": url}, "kiosk": {"language": "en"}})


def _prepare(folder: Path) -> tuple[str, str]:
    """A seeded database; returns its URL and one maker's badge."""
    from inventory.makers import get_maker
    from inventory.seed import seed

    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(_settings(url).database)
    upgrade(engine)
    with session_scope(engine) as session:
        from datetime import date

        seed(session, today=date(2026, 11, 24))
        badge = get_maker(session, "M00002").badge_id or ""
    engine.dispose()
    return url, badge


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the kiosk did not get there in time")
        await asyncio.sleep(0.0005)


async def _scan_and_redraw(url: str, badge: str) -> tuple[Runs, Runs, Runs]:
    from textual import events

    from kiosk.app import KioskApp
    from kiosk.messages import BoardLoaded
    from kiosk.screens.board import BoardScreen
    from kiosk.screens.welcome import WelcomeScreen
    from kiosk.widgets.scan_input import ScanInput

    class Timed(KioskApp):
        """Notes when each frame reaches the (headless) terminal."""

        last_frame = 0.0

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            self.last_frame = time.perf_counter()

    settings = _settings(url)
    engine: Engine = make_engine(settings.database)
    app = Timed.of(settings, connect=lambda: engine)
    scans: Runs = ([], [])
    redraws: Runs = ([], [])
    tables: Runs = ([], [])
    async with app.run_test(size=SIZE) as pilot:
        await _until(lambda: isinstance(app.screen, WelcomeScreen) and bool(app.screen.machines))
        for _ in range(SCAN_RUNS):
            await pilot.pause()
            app.screen.query_one("#scan", ScanInput).value = badge
            start, cpu = time.perf_counter(), time.process_time()
            app.post_message(events.Key("enter", "\r"))
            await _until(
                lambda: (
                    isinstance(app.screen, BoardScreen)
                    and app.screen.view is not None
                    and app.last_frame > start  # noqa: B023  (awaited in this iteration)
                )
            )
            scans[0].append(app.last_frame - start)
            scans[1].append(time.process_time() - cpu)
            await pilot.press("escape")
            await _until(lambda: isinstance(app.screen, WelcomeScreen))

        app.screen.query_one("#scan", ScanInput).focus()
        app.screen.query_one("#scan", ScanInput).value = badge
        await pilot.press("enter")
        await _until(lambda: isinstance(app.screen, BoardScreen) and app.screen.view is not None)
        board = app.screen
        assert isinstance(board, BoardScreen)
        assert board.view is not None
        hours = board.view.hours
        views = [replace(board.view, rows=_rows(hours, run)) for run in range(REDRAW_RUNS)]
        for view in views:
            await pilot.pause()
            start, cpu = time.perf_counter(), time.process_time()
            board.on_board_loaded(BoardLoaded(view))
            await _until(lambda: app.last_frame > start)  # noqa: B023  (awaited here)
            redraws[0].append(app.last_frame - start)
            redraws[1].append(time.process_time() - cpu)
        # The grid it replaced (a DataTable filled as the board did until then), same boards.
        reference = DataTableBoard()
        await app.push_screen(reference)
        await pilot.pause()
        for view in views:
            await pilot.pause()
            start, cpu = time.perf_counter(), time.process_time()
            reference.fill(view)
            await _until(lambda: app.last_frame > start)  # noqa: B023  (awaited here)
            tables[0].append(app.last_frame - start)
            tables[1].append(time.process_time() - cpu)
    engine.dispose()
    return scans, redraws, tables


def _rows(hours: tuple[datetime, ...], run: int) -> tuple[BoardRow, ...]:
    """40 machines whose cells change kind from one run to the next."""
    from kiosk.screens.board import CELL_STYLES

    kinds = list(CELL_STYLES)
    return tuple(
        BoardRow(
            n,
            f"CF1-{n:05d}-X",
            f"Machine {n} run {run}",
            True,
            tuple(
                Slot(kinds[(n + h + run) % len(kinds)], hour, hour + timedelta(hours=1))
                for h, hour in enumerate(hours)
            ),
        )
        for n in range(40)
    )


class DataTableBoard(Screen[None]):
    """The board's grid as it was drawn before `BoardGrid`: a DataTable refilled on each board,
    one shared Text per kind of cell (for the before/after comparison in one run)."""

    def compose(self) -> ComposeResult:
        yield DataTable(id="grid", cursor_type="cell", zebra_stripes=False)

    def fill(self, view: BoardView) -> None:
        from kiosk.screens.board import CELL_STYLES
        from kiosk.views import CELL_LABELS

        table: DataTable[Text] = self.query_one("#grid", DataTable)
        keys = ["machine", *(hour.isoformat() for hour in view.hours)]
        if [column.value for column in table.columns] == keys and table.columns:
            table.clear()
        else:
            table.clear(columns=True)
            table.add_column(Text("Machine"), key="machine")
            for hour in view.hours:
                table.add_column(Text(hour.strftime("%Hh")), key=hour.isoformat())
        cells = {
            kind: Text(msgid[:7], style=CELL_STYLES[kind]) for kind, msgid in CELL_LABELS.items()
        }
        table.add_rows([[Text(r.name[:24]), *[cells[s.kind] for s in r.slots]] for r in view.rows])
        table.focus()


def _report(name: str, goal_ms: float, runs: Runs) -> None:
    times, cpu = runs
    median = statistics.median(times) * 1000
    worst = max(times) * 1000
    cpu_median = statistics.median(cpu) * 1000
    verdict = "ok" if median <= goal_ms else "OVER BUDGET"
    print(
        f"{name:<26} median {median:7.1f} ms (cpu {cpu_median:6.1f} ms)  worst {worst:7.1f} ms"
        f"  goal {goal_ms:.0f} ms  {verdict}"
    )


def main() -> None:
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} (wall times grow with the load)")
    with tempfile.TemporaryDirectory(prefix="fabdesk-bench-kiosk-") as tmp:
        url, badge = _prepare(Path(tmp))
        scans, redraws, tables = asyncio.run(_scan_and_redraw(url, badge))
        _report("scan to board", 100, scans)
        _report("redraw a 40-machine board", 50, redraws)
        _report("... the old DataTable grid", 50, tables)


if __name__ == "__main__":
    main()
