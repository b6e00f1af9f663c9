"""What the lapse of unused trainings costs the booking path, and the managers' lapse report.

`python -m benchmarks bench_peers` builds `bench_scheduling`'s network (3 sites x 40 machines,
400 makers each certified on 5 categories) with FABDESK_BENCH_DAYS days of history (default 120),
gives every completed booking a usage session of its maker, then measures on SQLite and
PostgreSQL (medians):

- creating one booking with every rule checked, no category with a lapse
- the same with a 90-day lapse on every category (the one extra indexed lookup of the maker's
  last use of the category; goal: within 0.5 ms of the first)
- the report of who lapses within 7 days (`scheduling.lapses.lapsing`; goal <= 1 s)
"""

from __future__ import annotations

import functools
import os
import random
import time

from benchmarks.bench_scheduling import NOW, _databases, _median_ms, build, scenario_book
from fabdesk.db import Engine, make_engine, session_scope, upgrade
from fabdesk.settings import DatabaseSettings
from scheduling.lapses import lapsing

_UUID = {"postgresql": "gen_random_uuid()", "sqlite": "lower(hex(randomblob(16)))"}


def add_usage(engine: Engine) -> int:
    """One usage session per completed booking, by its maker, over its first hour."""
    with engine.begin() as connection:
        count = connection.exec_driver_sql(
            "INSERT INTO usage_sessions (uuid, equipment_id, maker_id, booking_id, started_at, "
            "ended_at, active_seconds) "
            f"SELECT {_UUID[engine.dialect.name]}, equipment_id, maker_id, id, starts_at, "
            "ends_at, 1800 FROM bookings WHERE state = 'completed'"
        ).rowcount
        connection.exec_driver_sql("ANALYZE")
    return int(count)


def set_lapse(engine: Engine, days: int | None, *, keep_bookings: int) -> None:
    """Set every category's lapse, and drop the bookings measured so far (their slots are
    measured again)."""
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"UPDATE equipment_categories SET lapse_after_days = {days or 'NULL'}"
        )
        connection.exec_driver_sql(f"DELETE FROM bookings WHERE id > {keep_bookings}")


def _report(engine: Engine) -> None:
    with session_scope(engine) as session:
        lapsing(session, today=NOW.date(), within_days=7, timezone="Europe/Brussels")


def main() -> None:
    days = int(os.environ.get("FABDESK_BENCH_DAYS", "120"))
    for name, url in _databases():
        rng = random.Random(20261124)
        engine = make_engine(DatabaseSettings(url=url, pool_size=20))
        upgrade(engine)
        start = time.perf_counter()
        count = build(engine, days, rng)
        sessions = add_usage(engine)
        print(
            f"[{name}] loaded {count} bookings and {sessions} usage sessions "
            f"in {time.perf_counter() - start:.1f} s"
        )
        results: dict[str, float] = {}
        scenario_book(engine, results, rng)
        plain = {f"{label}, no lapse": value for label, value in results.items()}
        set_lapse(engine, 90, keep_bookings=count)
        results = {}
        scenario_book(engine, results, rng)
        lapse = {f"{label}, 90-day lapse": value for label, value in results.items()}

        wall, cpu = _median_ms(functools.partial(_report, engine), 10)
        engine.dispose()
        for label, value in {
            **plain,
            **lapse,
            "lapse report (7 days)": wall,
            "lapse report (7 days) (CPU)": cpu,
        }.items():
            print(f"[{name}] {label}: {value:.2f} ms (median)")
