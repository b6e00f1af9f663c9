"""Accounting benchmarks: pricing and posting one session; closing a month of N usage sessions.

`python -m benchmarks bench_accounting` runs both on SQLite and PostgreSQL with 100,000 sessions;
`python -m benchmarks.bench_accounting --sessions 1000000` runs the full month of the README.

The month is bulk-loaded (usage sessions and their already-posted charges: transactions,
postings, usage charges, priced by `price_session` and split by `split_revenue`) with the
databases' bulk paths (sqlite3 executemany, PostgreSQL COPY). `close_period` then runs in a fresh
child process, which reports its wall time and its peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from fabdesk.accounting import close_period, post_usage_charge
from fabdesk.accounting.coinvest import split_revenue
from fabdesk.accounting.ledger import AccountRef, account_ids
from fabdesk.accounting.pricing import PriceRules, SessionFacts, price_session
from fabdesk.db import Engine, make_engine, upgrade
from fabdesk.models import (
    AccountKind,
    Equipment,
    EquipmentCategory,
    EquipmentShare,
    Investor,
    Maker,
    Sector,
    Site,
    id_of,
)
from fabdesk.settings import DatabaseSettings
from fabdesk.wire import Outcome

MONTH = "2026-11"
MONTH_START = datetime(2026, 11, 1, tzinfo=UTC)
MACHINES = 40
MAKERS = 2000
CHUNK = 50_000


def _setup_lab(
    engine: Engine,
) -> tuple[list[Equipment], list[int], dict[int, list[tuple[int, int]]]]:
    """Three sites' worth of machines (a quarter co-funded 50/30/20) and makers; returns the
    machines, the maker ids and each machine's shares."""
    with Session(engine, expire_on_commit=False) as session:
        site = Site(code="bench", name="Bench")
        laser = EquipmentCategory(code="laser", name_en="l", name_fr="l", name_nl="l")
        fdm = EquipmentCategory(code="fdm", name_en="f", name_fr="f", name_nl="f")
        session.add_all([site, laser, fdm])
        session.flush()
        investors = [Investor(code=f"inv{i}", name=f"Investor {i}") for i in range(3)]
        session.add_all(investors)
        machines = [
            Equipment(
                asset_tag=f"B-{i:03d}",
                site_id=id_of(site),
                category_id=id_of(laser if i % 2 else fdm),
                name=f"machine {i}",
                rate_cents_per_hour=3000 if i % 2 else 300,
                minimum_charge_cents=50,
            )
            for i in range(MACHINES)
        ]
        session.add_all(machines)
        session.flush()
        shares: dict[int, list[tuple[int, int]]] = {}
        for machine in machines[::4]:
            parts = list(zip((id_of(i) for i in investors), (5000, 3000, 2000), strict=True))
            shares[id_of(machine)] = parts
            for investor, points in parts:
                session.add(
                    EquipmentShare(
                        equipment_id=id_of(machine), investor_id=investor, basis_points=points
                    )
                )
        makers = [
            Maker(member_number=f"B{i:05d}", name=f"m{i}", sector=list(Sector)[i % len(Sector)])
            for i in range(MAKERS)
        ]
        session.add_all(makers)
        session.flush()
        maker_ids = [id_of(m) for m in makers]
        session.commit()
        return machines, maker_ids, shares


def _accounts(engine: Engine, machines: list[Equipment], makers: list[int]) -> dict[str, int]:
    with Session(engine) as session:
        investors = [id_of(i) for i in session.exec(select(Investor)).all()]
        refs: list[AccountRef] = [(AccountKind.VAT, None), (AccountKind.MATERIALS, None)]
        refs += [(AccountKind.REVENUE, id_of(machine)) for machine in machines]
        refs += [(AccountKind.MAKER, maker) for maker in makers]
        refs += [(AccountKind.INVESTOR, investor) for investor in investors]
        ids = account_ids(session, refs)
        session.commit()
        return {
            (kind.value if owner is None else f"{kind.value}:{owner}"): found
            for (kind, owner), found in zip(refs, ids, strict=True)
        }


def _rows(
    sessions: int,
    machines: list[Equipment],
    makers: list[int],
    shares: dict[int, list[tuple[int, int]]],
    accounts: dict[str, int],
    first_id: int,
) -> Iterator[
    tuple[
        list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]
    ]
]:
    """Chunks of (usage sessions, transactions, postings, usage charges) rows."""
    rules = PriceRules.default()
    rng = random.Random(7)
    codes = {id_of(m): ("laser" if m.rate_cents_per_hour == 3000 else "fdm") for m in machines}

    @cache
    def priced(machine_index: int, minutes: int, grams: int) -> tuple[Any, ...]:
        machine = machines[machine_index]
        price = price_session(
            SessionFacts(
                active_seconds=minutes * 60,
                rate_cents_per_hour=machine.rate_cents_per_hour,
                minimum_charge_cents=machine.minimum_charge_cents,
                category_code=codes[id_of(machine)],
                material_g=float(grams) if grams else None,
            ),
            rules,
        )
        material_at_cost = min(price.material_cost, price.net)
        split = split_revenue(price.net - material_at_cost, shares.get(id_of(machine), []))
        credits = [(accounts["vat"], -price.vat), (accounts["materials"], -material_at_cost)]
        credits += [(accounts[f"investor:{i}"], -part) for i, part in split.investors]
        credits.append((accounts[f"revenue:{machine.id}"], -split.lab))
        return price, tuple((a, c) for a, c in credits if c)

    seconds_in_month = 30 * 86400 - 2 * 3600  # ends before midnight in Brussels (UTC+1)
    sectors = [sector.value for sector in Sector]
    booked = datetime(2026, 12, 1, 0, 30)
    for start in range(0, sessions, CHUNK):
        usage, transactions, postings, charges = [], [], [], []
        for n in range(start, min(sessions, start + CHUNK)):
            ident = first_id + n
            machine_index = rng.randrange(MACHINES)
            machine = machines[machine_index]
            maker = makers[rng.randrange(MAKERS)]
            minutes = rng.randint(1, 120)
            grams = rng.randint(1, 80) if codes[id_of(machine)] == "fdm" else 0
            ended = MONTH_START.replace(tzinfo=None) + timedelta(
                seconds=rng.randrange(3600, seconds_in_month)
            )
            started = ended - timedelta(minutes=minutes)
            session_uuid = uuid.UUID(int=rng.getrandbits(128), version=4)
            price, credits = priced(machine_index, minutes, grams)
            usage.append(
                (
                    ident,
                    session_uuid,
                    id_of(machine),
                    maker,
                    started,
                    ended,
                    minutes * 60.0,
                    float(grams) if grams else None,
                    Outcome.DONE.value,
                )
            )
            transactions.append(
                (
                    ident,
                    f"charge:{session_uuid}",
                    "charge",
                    MONTH,
                    booked,
                    (ended + timedelta(hours=1)).date(),
                    f"{machine.asset_tag} {minutes} min",
                    maker,
                    id_of(machine),
                )
            )
            postings.append((ident, accounts[f"maker:{maker}"], MONTH, price.total))
            postings.extend((ident, a, MONTH, c) for a, c in credits)
            charges.append(
                (
                    ident,
                    ident,
                    1,
                    ident,
                    maker,
                    id_of(machine),
                    MONTH,
                    (ended + timedelta(hours=1)).date(),
                    price.billed_minutes,
                    minutes * 60.0,
                    sectors[(maker - 1) % len(sectors)],
                    0.0,
                    price.time,
                    price.material,
                    float(price.material_grams),
                    price.material_cost,
                    price.total,
                    price.vat,
                    0,
                    price.total,
                )
            )
        yield usage, transactions, postings, charges


_COLUMNS = {
    "usage_sessions": "id, uuid, equipment_id, maker_id, started_at, ended_at, active_seconds, "
    "material_g, outcome",
    "ledger_transactions": "id, key, kind, month, booked_at, occurred_on, memo, maker_id, "
    "equipment_id",
    "ledger_postings": "transaction_id, account_id, month, amount_cents",
    "usage_charges": "id, usage_session_id, revision, transaction_id, maker_id, equipment_id, "
    "month, occurred_on, billed_minutes, active_seconds, sector, rights_seconds, time_cents, "
    "material_cents, "
    "material_grams, material_cost_cents, total_cents, vat_cents, cheque_cents, maker_cents",
}


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _bulk_load(engine: Engine, sessions: int) -> float:
    started = time.perf_counter()
    machines, makers, shares = _setup_lab(engine)
    accounts = _accounts(engine, machines, makers)
    tables = ("usage_sessions", "ledger_transactions", "ledger_postings", "usage_charges")
    raw = engine.raw_connection()
    try:
        sqlite = engine.dialect.name == "sqlite"
        cursor = raw.cursor()
        # Bulk path: indexes dropped and rebuilt after (a sort beats a million random
        # inserts), foreign keys not checked row by row (the generator only uses real ids).
        names = ", ".join(f"'{table}'" for table in tables)
        if sqlite:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                f"AND sql IS NOT NULL AND tbl_name IN ({names})"
            )
        else:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
                f"({names}) AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
        indexes = list(cursor.fetchall())
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        raw.commit()
        for chunk in _rows(sessions, machines, makers, shares, accounts, first_id=1):
            cursor = raw.cursor()
            for table, rows in zip(tables, chunk, strict=True):
                columns = _COLUMNS[table]
                if sqlite:
                    marks = ", ".join("?" * len(columns.split(",")))
                    cursor.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                        [tuple(_sqlite_value(v) for v in row) for row in rows],
                    )
                else:
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            raw.commit()
        cursor = raw.cursor()
        for _name, definition in indexes:
            cursor.execute(definition)
        if not sqlite:
            for table in ("usage_sessions", "ledger_transactions", "usage_charges"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {sessions + 10})"
                )
        raw.commit()
        cursor = raw.cursor()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _close_in_child(url: str) -> dict[str, float]:
    """Close the month in a fresh process: its time and its peak memory, nothing else's."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_accounting", "--close-only", url],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _peak_resident_mb() -> float:
    """This process's peak resident memory since it started (VmHWM: unlike ru_maxrss, it does
    not count the parent's pages that the child had before `exec`)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _close_only(url: str) -> None:
    engine = make_engine(DatabaseSettings(url=url))
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        period = close_period(
            session, MONTH, now=datetime(2026, 12, 1, 6, tzinfo=UTC), rules=PriceRules.default()
        )
        session.commit()
    seconds = time.perf_counter() - started
    peak_mb = _peak_resident_mb()
    print(
        json.dumps(
            {"seconds": seconds, "peak_mb": peak_mb, "transactions": period.transaction_count}
        )
    )


def _post_one(engine: Engine, count: int = 300) -> float:
    """Median milliseconds to price and post one session (flush included, one transaction)."""
    from tests.accounting.factories import add_usage

    machines, makers, _shares = _setup_lab(engine)
    timings: list[float] = []
    with Session(engine, expire_on_commit=False) as session:
        maker_rows = [session.get(Maker, m) for m in makers[:50]]
        usages = [
            add_usage(
                session,
                machines[i % MACHINES],
                maker_rows[i % 50],
                ended_at=datetime(2026, 11, 5, 10, tzinfo=UTC) + timedelta(minutes=i),
                active_seconds=60.0 * (1 + i % 90),
                material_g=12.0 if i % 2 == 0 else None,
            )
            for i in range(count)
        ]
        session.commit()
        now = datetime(2026, 11, 6, tzinfo=UTC)
        rules = PriceRules.default()
        for usage in usages:
            started = time.perf_counter()
            post_usage_charge(session, id_of(usage), now=now, rules=rules)
            session.flush()
            timings.append((time.perf_counter() - started) * 1000)
        session.commit()
    return statistics.median(timings[20:])


def _databases(which: str) -> Iterator[tuple[str, str, str]]:
    """(label, database for the posting scenario, database for the close scenario)."""
    if which in ("sqlite", "both"):
        folder = Path(tempfile.mkdtemp(prefix="fabdesk-bench-accounting-"))
        yield "SQLite", f"sqlite:///{folder / 'post.db'}", f"sqlite:///{folder / 'close.db'}"
    if which in ("postgresql", "both"):
        from tests.support.postgres import running_postgres

        with running_postgres() as server:
            with server.admin() as admin:
                admin.execute("CREATE DATABASE bench_post")
                admin.execute("CREATE DATABASE bench_close")
            yield "PostgreSQL", server.url("bench_post"), server.url("bench_close")


def _fresh(url: str) -> Engine:
    engine = make_engine(DatabaseSettings(url=url))
    upgrade(engine)
    return engine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_accounting", description=__doc__)
    parser.add_argument("--sessions", type=int, default=100_000, help="usage sessions in the month")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--close-only", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv or [])
    if args.close_only:
        _close_only(args.close_only)
        return
    for label, post_url, close_url in _databases(args.database):
        engine = _fresh(post_url)
        median = _post_one(engine)
        engine.dispose()
        print(f"{label}: price and post one session: median {median:.2f} ms (goal <= 2 ms)")
        engine = _fresh(close_url)
        load = _bulk_load(engine, args.sessions)
        engine.dispose()
        print(f"{label}: bulk-loaded {args.sessions:,} sessions and their charges in {load:.1f} s")
        closed = _close_in_child(close_url)
        print(
            f"{label}: close a month of {args.sessions:,} sessions: {closed['seconds']:.1f} s, "
            f"peak {closed['peak_mb']:.0f} MB (goal <= 20 s, <= 500 MB)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
