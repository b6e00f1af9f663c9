"""The cadastre's budgets: import 10,000 items from CSV (<= 3 s), export them (<= 1 s), and render
a 500-label A4 PDF sheet (<= 10 s). SQLite file in a temporary folder; medians of a few runs."""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from fabdesk.db import make_engine, session_scope, upgrade
from fabdesk.identifiers import make_asset_tag
from fabdesk.models import id_of
from fabdesk.settings import DatabaseSettings
from inventory.csv_io import export_csv, import_csv
from inventory.labels import TEMPLATES, label_sheet_pdf, labels_for
from inventory.makers import NewMaker, register_maker
from inventory.managers import set_pin
from inventory.seed import seed
from inventory.spreadsheet import COLUMNS

ITEMS = 10_000
LABELS = 500
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CATEGORIES = ["laser", "fdm", "resin", "cnc", "vinyl", "embroidery", "electronics", "handtools"]
SITES = ["cityfab1", "cityfab2", "cityfab3"]


def register_csv(count: int) -> str:
    """A register of `count` items in the export format, a third of them co-funded."""
    lines = [",".join(COLUMNS)]
    for n in range(1, count + 1):
        values = dict.fromkeys(COLUMNS, "")
        values.update(
            asset_tag=make_asset_tag("BEN", n),
            site=SITES[n % 3],
            location="Atelier",
            category=CATEGORIES[n % len(CATEGORIES)],
            name=f"Machine {n}",
            make="Prusa",
            model="MK4",
            serial_number=f"SN{n:08d}",
            acquired_on=date(2020 + n % 6, 1 + n % 12, 1 + n % 28).isoformat(),
            acquisition_cost_eur=f"{1000 + n // 100}.{n % 100:02d}",
            expected_life_years="5",
            bookable="yes",
            status="in_service",
            rate_eur_per_hour="2",
            billing_unit_minutes="15",
            minimum_charge_eur="1",
            maintenance_every_days="90",
            shares="REGION:50;CITY:30;LAB:20" if n % 3 == 0 else "",
        )
        lines.append(",".join(values[c] for c in COLUMNS))
    return "\n".join(lines) + "\n"


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _report(name: str, goal: float, runs: list[float]) -> None:
    median = statistics.median(runs)
    verdict = "ok" if median <= goal else "OVER BUDGET"
    runs_text = ", ".join(f"{r:.2f}" for r in runs)
    print(f"{name:<34} median {median:6.2f} s  goal <= {goal:g} s  {verdict}  (runs: {runs_text})")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="fabdesk-bench-inventory-"))
    try:
        template = folder / "template.db"
        engine = make_engine(DatabaseSettings(url=f"sqlite:///{template}"))
        upgrade(engine)
        with session_scope(engine) as session:
            seed(session, today=NOW.date())
            manager = register_maker(session, NewMaker("BENCH", "Bench manager"))
            set_pin(session, manager, "1234")
            manager_id = id_of(manager)
        engine.dispose()
        text = register_csv(ITEMS)

        imports = []
        for run in range(3):
            path = folder / f"import-{run}.db"
            shutil.copyfile(template, path)
            engine = make_engine(DatabaseSettings(url=f"sqlite:///{path}"))

            def load(engine: object = engine) -> None:
                with session_scope(engine) as session:  # type: ignore[arg-type]
                    plan = import_csv(session, text, manager_id=manager_id, now=NOW)
                    assert len(plan.added) == ITEMS

            imports.append(_timed(load))
            if run < 2:
                engine.dispose()
        _report(f"import {ITEMS:,} items from CSV", 3, imports)

        exports = []
        for _ in range(5):

            def dump() -> None:
                with session_scope(engine) as session:
                    export_csv(session)

            exports.append(_timed(dump))
        _report(f"export {ITEMS + 40:,} items to CSV", 1, exports)

        with session_scope(engine) as session:
            labels = labels_for(session, site_code="cityfab2")[:LABELS]
        assert len(labels) == LABELS
        sheets = [
            _timed(
                lambda: label_sheet_pdf(
                    labels, folder / "labels.pdf", template=TEMPLATES["a4-70x37"]
                )
            )
            for _ in range(3)
        ]
        _report(f"{LABELS}-label A4 PDF sheet", 10, sheets)
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
