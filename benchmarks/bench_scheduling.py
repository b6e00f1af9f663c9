"""Booking benchmarks: 3 sites x 40 machines, two years of history (~250,000 bookings).

`python -m benchmarks bench_scheduling` runs every scenario on SQLite (a temporary file) and on
PostgreSQL (a throwaway server from tests/support/postgres.py) and prints medians:

- the day board of a site (goal <= 5 ms)
- the next free 2-hour laser slot across all sites (goal <= 10 ms)
- creating one booking, SQLite (goal <= 3 ms)
- 16 clients booking at once on PostgreSQL (goal >= 300 bookings/s, zero overlaps)

FABDESK_BENCH_DAYS shortens the history for a quick try (default 730).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from fabdesk.db import Engine, make_engine, session_scope, upgrade, write_session
from fabdesk.errors import RuleViolation
from fabdesk.models import (
    BookingPolicy,
    Certification,
    Equipment,
    EquipmentCategory,
    Maker,
    OpeningHours,
    Site,
)
from fabdesk.settings import DatabaseSettings, SchedulerSettings
from scheduling import availability, bookings

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # Monday 08:30 in Brussels
SITES = 3
MACHINES = 40
MAKERS = 400
CATEGORIES = ["laser", "fdm", "resin", "cnc", "vinyl"]
PER_SITE = {"laser": 8, "fdm": 16, "resin": 6, "cnc": 5, "vinyl": 5}
OPEN, CLOSE = 9, 21
FREE_FROM_DAY = 15
"""Future bookings are preloaded for two weeks; later days stay empty for the write scenarios."""


def _local(day: date, hour: float) -> datetime:
    return datetime.combine(day, clock(0), BRUSSELS) + timedelta(hours=hour)


def build(engine: Engine, days: int, rng: random.Random) -> int:
    """Sites, machines, makers with certifications, policies; then the bulk history."""
    with session_scope(engine) as session:
        categories = {}
        for code in CATEGORIES:
            category = EquipmentCategory(code=code, name_en=code, name_fr=code, name_nl=code)
            session.add(category)
            categories[code] = category
        session.flush()
        for code, category in categories.items():
            session.add(
                BookingPolicy.model_validate(
                    {
                        "category_id": category.id,
                        "buffer_minutes": 15 if code == "laser" else 0,
                        "max_minutes": 240,
                        "max_days_ahead": 60,
                        "max_hours_per_week": 0,
                        "max_future_bookings": 0,
                    }
                )
            )
        for s in range(SITES):
            site = Site(code=f"site{s + 1}", name=f"Site {s + 1}")
            session.add(site)
            session.flush()
            for weekday in range(6):
                session.add(
                    OpeningHours(
                        site_id=site.id or 0,
                        weekday=weekday,
                        opens=clock(OPEN),
                        closes=clock(CLOSE),
                    )
                )
            n = 0
            for code, count in PER_SITE.items():
                for _ in range(count):
                    n += 1
                    session.add(
                        Equipment(
                            asset_tag=f"S{s + 1}-{n:03d}",
                            site_id=site.id or 0,
                            category_id=categories[code].id or 0,
                            name=f"{code} {n}",
                        )
                    )
        for m in range(MAKERS):
            maker = Maker(member_number=f"B{m:05d}", name=f"Maker {m}")
            session.add(maker)
            session.flush()
            for category in categories.values():
                session.add(
                    Certification(
                        maker_id=maker.id or 0,
                        category_id=category.id or 0,
                        granted_on=date(2020, 1, 1),
                    )
                )
    with engine.connect() as connection:
        machine_rows = connection.execute(
            sa.text(
                "SELECT e.id, c.code FROM equipment e JOIN equipment_categories c "
                "ON c.id = e.category_id"
            )
        ).all()
    rows = _history([(int(r[0]), str(r[1])) for r in machine_rows], days, rng)
    _bulk_insert(engine, rows)
    return len(rows)


def _history(
    machines: list[tuple[int, str]], days: int, rng: random.Random
) -> list[tuple[object, ...]]:
    today = NOW.astimezone(BRUSSELS).date()
    rows: list[tuple[object, ...]] = []
    for offset in range(-days, FREE_FROM_DAY):
        day = today + timedelta(days=offset)
        if day.weekday() == 6:
            continue
        future = offset >= 0
        for equipment_id, code in machines:
            buffer = timedelta(minutes=15 if code == "laser" else 0)
            hour = OPEN + rng.choice([0, 0.5, 1, 2])
            while True:
                length = rng.choice([1, 1.5, 2, 2, 3])
                if hour + length > CLOSE:
                    break
                if future and rng.random() < 0.45:
                    hour += length + 0.5
                    continue
                starts = _local(day, hour).astimezone(UTC)
                ends = _local(day, hour + length).astimezone(UTC)
                if future:
                    state = "booked"
                else:
                    state = rng.choices(["completed", "cancelled", "no_show"], [90, 7, 3])[0]
                rows.append(
                    (
                        rng.randrange(1, MAKERS + 1),
                        equipment_id,
                        starts.replace(tzinfo=None),
                        ends.replace(tzinfo=None),
                        (ends + buffer).replace(tzinfo=None),
                        state,
                        (starts - timedelta(days=3)).replace(tzinfo=None),
                    )
                )
                hour += length + rng.choice([0.25, 0.5, 1, 1.5, 2.5])
    return rows


_COLUMNS = (
    "maker_id",
    "equipment_id",
    "starts_at",
    "ends_at",
    "blocked_until",
    "state",
    "created_at",
)


def _bulk_insert(engine: Engine, rows: list[tuple[object, ...]]) -> None:
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            with cursor.copy(
                f"COPY bookings ({', '.join(_COLUMNS)}, late_cancel, walk_in, reason) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row((*row, False, False, ""))
            raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
        return
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"INSERT INTO bookings ({', '.join(_COLUMNS)}, late_cancel, walk_in, reason) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, '')",
            [
                (
                    *row[:2],
                    *(_sqlite_time(v) for v in row[2:5]),
                    row[5],
                    _sqlite_time(row[6]),
                )
                for row in rows
            ],
        )
        connection.exec_driver_sql("ANALYZE")


def _sqlite_time(value: object) -> str:
    """The text SQLAlchemy's SQLite DateTime stores (compared as text, so it must match)."""
    assert isinstance(value, datetime)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _median_ms(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall time and median CPU time of this thread, in ms (the machine is shared: the
    CPU time shows the cost of the code apart from waiting for a core)."""
    fn()  # warm up
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.thread_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def _free_slots(engine: Engine, rng: random.Random) -> list[tuple[int, datetime, datetime]]:
    """Two-hour slots on days nobody booked yet, for the write scenarios (shuffled)."""
    with engine.connect() as connection:
        ids = [r[0] for r in connection.exec_driver_sql("SELECT id FROM equipment").all()]
    today = NOW.astimezone(BRUSSELS).date()
    slots = []
    for offset in range(FREE_FROM_DAY, FREE_FROM_DAY + 14):
        day = today + timedelta(days=offset)
        if day.weekday() == 6:
            continue
        for equipment_id in ids:
            for hour in range(OPEN, CLOSE - 2, 3):
                slots.append((equipment_id, _local(day, hour), _local(day, hour + 2)))
    rng.shuffle(slots)
    return slots


def scenario_reads(engine: Engine, results: dict[str, float]) -> None:
    day = NOW.astimezone(BRUSSELS).date() + timedelta(days=1)

    def board() -> None:
        with session_scope(engine) as session:
            availability.site_board(session, "site2", day)

    def next_laser() -> None:
        with session_scope(engine) as session:
            availability.next_free_slot(
                session, "laser", timedelta(hours=2), NOW, settings=SchedulerSettings()
            )

    results["day board"], results["day board (CPU)"] = _median_ms(board, 200)
    label = "next free 2 h laser slot, all sites"
    results[label], results[f"{label} (CPU)"] = _median_ms(next_laser, 200)


def scenario_book(engine: Engine, results: dict[str, float], rng: random.Random) -> None:
    slots = iter(_free_slots(engine, rng))

    def one() -> None:
        equipment_id, starts, ends = next(slots)
        with write_session(engine) as session:
            bookings.book(
                session,
                maker_id=rng.randrange(1, MAKERS + 1),
                equipment_id=equipment_id,
                starts_at=starts,
                ends_at=ends,
                now=NOW,
                settings=SchedulerSettings(),
            )

    results["create a booking"], results["create a booking (CPU)"] = _median_ms(one, 300)


CLIENTS = 16
SECONDS = 8.0


def _client(args: tuple[str, list[tuple[int, datetime, datetime]], int, float]) -> tuple[int, int]:
    """One booking client (its own process and connection): book its slots until the deadline."""
    url, slots, seed, start_at = args
    engine = make_engine(DatabaseSettings(url=url, pool_size=1))
    rng = random.Random(seed)
    won = refused = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + SECONDS
    for equipment_id, starts, ends in slots:
        if time.time() > deadline:
            break
        try:
            with write_session(engine) as session:
                bookings.book(
                    session,
                    maker_id=rng.randrange(1, MAKERS + 1),
                    equipment_id=equipment_id,
                    starts_at=starts,
                    ends_at=ends,
                    now=NOW,
                    settings=SchedulerSettings(),
                )
        except RuleViolation:
            refused += 1
        else:
            won += 1
    engine.dispose()
    return won, refused


def scenario_contention(url: str, results: dict[str, float], rng: random.Random) -> None:
    """16 client processes book from one shared pool of slots; every slot is on the lists of
    two clients, so collisions happen all the time. Bookings/s counts the successful ones."""
    engine = make_engine(DatabaseSettings(url=url))
    pool = _free_slots(engine, rng)[:6000]
    with engine.connect() as connection:
        before = connection.exec_driver_sql("SELECT count(*) FROM bookings").scalar() or 0
    plans: list[list[tuple[int, datetime, datetime]]] = [[] for _ in range(CLIENTS)]
    for index, slot in enumerate(pool):
        plans[index % CLIENTS].append(slot)
        plans[(index + 1 + index % (CLIENTS - 1)) % CLIENTS].append(slot)
    for plan in plans:
        plan.sort(key=lambda slot: (slot[1], slot[0]))
    start_at = time.time() + 3.0
    context = multiprocessing.get_context("fork")
    with context.Pool(CLIENTS) as workers:
        outcomes = workers.map(_client, [(url, plan, n, start_at) for n, plan in enumerate(plans)])
    elapsed = min(SECONDS, max(time.time() - start_at, 0.001))
    with engine.connect() as connection:
        after = connection.exec_driver_sql("SELECT count(*) FROM bookings").scalar() or 0
        overlaps = connection.exec_driver_sql(
            "SELECT count(*) FROM bookings a JOIN bookings b ON a.equipment_id = b.equipment_id "
            "AND a.id < b.id AND a.starts_at < b.blocked_until AND b.starts_at < a.blocked_until "
            "WHERE a.state IN ('booked', 'checked_in') AND b.state IN ('booked', 'checked_in')"
        ).scalar()
    engine.dispose()
    won = sum(w for w, _ in outcomes)
    assert after - before == won
    results["16 clients: bookings/s"] = won / elapsed
    results["16 clients: refused (slot taken)"] = sum(r for _, r in outcomes)
    results["16 clients: overlaps"] = float(overlaps or 0)


def _databases() -> Iterator[tuple[str, str]]:
    from tests.support.postgres import running_postgres

    with tempfile.TemporaryDirectory(prefix="fabdesk-bench-") as folder:
        yield "sqlite", f"sqlite:///{Path(folder) / 'bench.db'}"
        with running_postgres() as server, server.admin() as admin:
            admin.execute("CREATE DATABASE bench")
            yield "postgresql", server.url("bench")


def main() -> None:
    days = int(os.environ.get("FABDESK_BENCH_DAYS", "730"))
    for name, url in _databases():
        rng = random.Random(20261124)
        engine = make_engine(DatabaseSettings(url=url, pool_size=20))
        upgrade(engine)
        start = time.perf_counter()
        count = build(engine, days, rng)
        print(f"[{name}] loaded {count} bookings in {time.perf_counter() - start:.1f} s")
        results: dict[str, float] = {}
        scenario_reads(engine, results)
        scenario_book(engine, results, rng)
        if name == "postgresql":
            scenario_contention(url, results, rng)
        engine.dispose()
        for label, value in results.items():
            unit = "" if label.startswith("16 clients") else " ms (median)"
            print(f"[{name}] {label}: {value:.2f}{unit}")
