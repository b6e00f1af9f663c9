"""Ingest over real HTTP: several driver devices post batches of 100 events at once.

For SQLite and PostgreSQL in turn: a migrated, seeded database; `fabdesk serve` in its own
process on 127.0.0.1; CLIENTS threads (one device each, one machine each) posting pre-built
batches for DURATION seconds. Then the same number of event rows goes into the same database
with a raw executemany (the database driver's, 100 rows per transaction): the physical limit,
and the ratio to it. Run: `python -m benchmarks bench_api`.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import col, select

from fabdesk.db import Engine, make_engine, session_scope, upgrade
from fabdesk.models import Equipment
from fabdesk.settings import DatabaseSettings
from fabdesk.usage.devices import AuthenticatedDevice, authenticate, register_device
from fabdesk.usage.ingest import EVENT_COLUMNS, DeviceClock, event_values, stored_values
from fabdesk.wire import Event, EventBatch, EventKind, Outcome, Readings

CLIENTS = 4
BATCH = 100
DURATION = float(os.environ.get("BENCH_API_SECONDS", "12"))
"""Seconds each database is loaded over HTTP."""
BATCHES_PER_CLIENT = 400
"""Built in advance: more than a client can post in DURATION at the goal rate."""
EVENTS_PER_SESSION = 40
GOAL = 5_000
WORKERS = int(os.environ.get("BENCH_API_WORKERS", "2"))
"""uvicorn worker processes of the server: two, one per core, as a network's server runs
(`deploy/examples/network-server.toml`, the scheduler in its own process)."""


@dataclass
class Result:
    database: str
    events: int
    seconds: float
    raw_events_per_s: float
    latencies_ms: list[float]
    server_cpu_seconds: float
    """CPU time the server process used while loaded (user + system): load-independent."""

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    @property
    def events_per_cpu_s(self) -> float:
        return self.events / self.server_cpu_seconds


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its live children, e.g. uvicorn's workers
    (Linux /proc)."""
    proc = Path(f"/proc/{pid}")
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    children = {
        int(c) for task in proc.glob("task/*") for c in (task / "children").read_text().split()
    }
    return ticks / os.sysconf("SC_CLK_TCK") + sum(_cpu_seconds(child) for child in children)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stream(start: datetime) -> list[Event]:
    """A machine's events: sessions of EVENTS_PER_SESSION events, a heartbeat between them."""
    events: list[Event] = []
    at = start
    while len(events) < BATCHES_PER_CLIENT * BATCH:
        session_id = uuid.uuid4()
        for index in range(EVENTS_PER_SESSION):
            at += timedelta(seconds=15)
            kind = EventKind.SESSION_PROGRESS
            readings: dict[str, Any] = {"active_seconds": index * 15.0, "material_g": index * 0.2}
            if index == 0:
                kind, readings = EventKind.SESSION_STARTED, {"job_name": "panel.svg"}
            elif index == EVENTS_PER_SESSION - 1:
                kind, readings["outcome"] = EventKind.SESSION_ENDED, Outcome.DONE
            events.append(
                Event(
                    id=uuid.uuid4(),
                    kind=kind,
                    session_id=session_id,
                    device_time=at,
                    readings=Readings(**readings),
                )
            )
        events.append(
            Event(id=uuid.uuid4(), kind=EventKind.HEARTBEAT, device_time=at, outbox_backlog=0)
        )
    return events[: BATCHES_PER_CLIENT * BATCH]


def _prepare(engine: Engine) -> list[tuple[str, AuthenticatedDevice, list[list[Event]]]]:
    upgrade(engine)
    from inventory.seed import seed

    now = datetime.now(UTC)
    clients = []
    with session_scope(engine) as session:
        seed(session, today=date.today())
        tags = session.exec(
            select(Equipment.asset_tag).order_by(col(Equipment.asset_tag)).limit(CLIENTS)
        ).all()
        tokens = [
            register_device(session, equipment_tag=tag, name=f"bench-{tag}", now=now).token
            for tag in tags
        ]
    with session_scope(engine) as session:
        for token in tokens:
            events = _stream(now - timedelta(days=30))
            batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
            clients.append((token, authenticate(session, token), batches))
    return clients


def _serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABDESK_")}
    env.update(
        {
            "FABDESK_DATABASE__URL": url,
            "FABDESK_DATABASE__POOL_SIZE": "8",
            "FABDESK_API__DEVICE_REQUESTS_PER_SECOND": "100000",
            "FABDESK_API__DEVICE_BURST": "100000",
            "FABDESK_LOGGING__LEVEL": "WARNING",
            "FABDESK_API__WORKERS": str(WORKERS),
        }
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from fabdesk.cli import main; main()",
            "serve",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready").status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("fabdesk serve did not come up")


def _load(
    base: str, clients: list[tuple[str, AuthenticatedDevice, list[list[Event]]]]
) -> tuple[int, float, list[float], list[list[Event]]]:
    bodies = [
        [EventBatch(events=batch).model_dump_json(exclude_none=True).encode() for batch in batches]
        for _, _, batches in clients
    ]
    posted: list[list[list[Event]]] = [[] for _ in clients]
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def run(index: int) -> None:
        token, _, batches = clients[index]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        mine: list[float] = []
        with httpx.Client(base_url=base, timeout=60, headers=headers) as client:
            start.wait()
            for body, batch in zip(bodies[index], batches, strict=True):
                if time.monotonic() >= stop_at[0]:
                    break
                sent = time.perf_counter()
                response = client.post("/api/v1/ingest", content=body)
                mine.append((time.perf_counter() - sent) * 1000)
                if response.status_code != 200 or len(response.json()["accepted"]) != BATCH:
                    raise RuntimeError(f"ingest answered {response.status_code}: {response.text}")
                posted[index].append(batch)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + DURATION
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    sent = [batch for mine in posted for batch in mine]
    return len(sent) * BATCH, seconds, latencies, sent


def _raw(engine: Engine, device: AuthenticatedDevice, sent: list[list[Event]]) -> float:
    """The same rows (fresh UUIDs, same values) by the driver's executemany, one transaction per
    batch of 100: no HTTP, no JSON, no sessions, no duplicate check."""
    now = datetime.now(UTC)
    dialect = engine.dialect.name
    mark = "?" if dialect == "sqlite" else "%s"
    sql = (
        f"INSERT INTO ingested_events ({', '.join(EVENT_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(EVENT_COLUMNS))})"
    )
    batches = [
        [
            stored_values(
                (
                    uuid.uuid4(),
                    *event_values(
                        e, device, DeviceClock(timedelta(0), False, now, None, timedelta(0))
                    )[1:],
                )
            )
            for e in batch
        ]
        for batch in sent
    ]
    connection = engine.raw_connection()
    try:
        began = time.perf_counter()
        for rows in batches:
            cursor = connection.cursor()
            if dialect == "sqlite":
                cursor.execute("BEGIN")
            cursor.executemany(sql, rows)
            connection.commit()
            cursor.close()
        seconds = time.perf_counter() - began
    finally:
        connection.close()
    return sum(len(rows) for rows in batches) / seconds


def run(database: str, url: str) -> Result:
    engine = make_engine(DatabaseSettings(url=url, pool_size=8))
    clients = _prepare(engine)
    process, base = _serve(url)
    try:
        cpu_before = _cpu_seconds(process.pid)
        events, seconds, latencies, sent = _load(base, clients)
        cpu = _cpu_seconds(process.pid) - cpu_before
    finally:
        process.terminate()
        process.wait(timeout=30)
    raw = _raw(engine, clients[0][1], sent)
    engine.dispose()
    return Result(database, events, seconds, raw, latencies, cpu)


def main() -> None:
    from tests.support.postgres import running_postgres

    wanted = os.environ.get("BENCH_API_DATABASES", "sqlite,postgresql").split(",")
    results = []
    if "sqlite" in wanted:
        with tempfile.TemporaryDirectory(prefix="fabdesk-bench-") as folder:
            results.append(run("SQLite", f"sqlite:///{folder}/bench.db"))
    if "postgresql" in wanted:
        with running_postgres() as server, server.admin() as admin:
            admin.execute("CREATE DATABASE bench")
            results.append(run("PostgreSQL", server.url("bench")))
    print(
        f"ingest over HTTP: {CLIENTS} clients, batches of {BATCH} events, {DURATION:.0f} s "
        f"each (goal >= {GOAL:,} events/s)"
    )
    print(
        f"{'database':<11} {'events':>8} {'events/s':>9} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'raw executemany/s':>18} {'ratio':>6}"
    )
    for r in results:
        cuts = statistics.quantiles(r.latencies_ms, n=20)
        print(
            f"{r.database:<11} {r.events:>8} {r.events_per_s:>9,.0f} "
            f"{statistics.median(r.latencies_ms):>7.1f} {cuts[18]:>7.1f} "
            f"{r.raw_events_per_s:>18,.0f} {r.events_per_s / r.raw_events_per_s:>6.2f} "
            f"{r.events_per_cpu_s:>20,.0f}"
        )


if __name__ == "__main__":
    main()
