"""`fabdesk serve` and `fabdesk scheduler` stop within seconds of SIGTERM or Ctrl-C, cleanly, even
with a request or the leader stuck on a locked database (real processes, real SQLite lock).

The lock is what load looks like from inside: another process holds the database's write lock,
and the server's or the scheduler's writer waits its busy timeout out (a minute here).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from fabdesk.cli._stopping import GRACE_SECONDS
from fabdesk.wire import EventKind
from tests.api.conftest import DeviceToken
from tests.api.events import batch, event
from tests.api.test_cli import environment, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True),
]

SIGNALS = [signal.SIGTERM, signal.SIGINT]
STOPPED_WITHIN = 10.0


def start(url: str, log: Path, *command: str) -> subprocess.Popen[bytes]:
    env = environment(url)
    env.update(
        {"FABDESK_LOGGING__JSON_LINES": "true", "FABDESK_DATABASE__BUSY_TIMEOUT_MS": "60000"}
    )
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-c", "from fabdesk.cli import main; main()", *command],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def events(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def wait_for(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@contextmanager
def write_locked(url: str) -> Iterator[None]:
    """Another process's transaction holds the SQLite database's write lock."""
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def stopped_cleanly(process: subprocess.Popen[bytes], sent: signal.Signals, log: Path) -> float:
    asked = time.monotonic()
    process.send_signal(sent)
    try:
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    took = time.monotonic() - asked
    text = log.read_text()
    assert process.returncode == 0, text[-2000:]
    assert "Traceback" not in text
    told = [e for e in events(log) if e["event"] == "stop_requested"]
    assert [e["signal"] for e in told] == [sent.name]
    return took


@pytest.mark.parametrize("sent", SIGNALS, ids=lambda s: s.name)
def test_the_server_stops_with_a_request_stuck_on_the_database(
    seeded_url: str, device: DeviceToken, tmp_path: Path, sent: signal.Signals
) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    server = start(seeded_url, log, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: ready(base), "fabdesk serve did not come up")
    answers: list[int | str] = []
    beat = event(EventKind.HEARTBEAT, datetime.now(UTC), backlog=0)

    def post() -> None:
        try:
            answers.append(
                httpx.post(
                    f"{base}/api/v1/ingest", json=batch([beat]), headers=device.headers, timeout=60
                ).status_code
            )
        except httpx.HTTPError as error:
            answers.append(type(error).__name__)

    with write_locked(seeded_url):
        poster = threading.Thread(target=post)
        poster.start()
        time.sleep(1.0)  # the request waits on the lock
        took = stopped_cleanly(server, sent, log)
    poster.join(timeout=60)
    assert took < STOPPED_WITHIN
    (stopped,) = [e for e in events(log) if e["event"] == "server_stopped"]
    assert stopped["abandoned"], "the stuck request's thread was left behind"
    assert GRACE_SECONDS <= stopped["seconds"] < STOPPED_WITHIN  # counted from the signal
    assert answers
    assert answers[0] != 200


def test_the_server_stops_at_once_when_idle(seeded_url: str, tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    server = start(seeded_url, log, "serve", "--port", str(port))
    wait_for(lambda: ready(f"http://127.0.0.1:{port}"), "fabdesk serve did not come up")
    assert stopped_cleanly(server, signal.SIGTERM, log) < STOPPED_WITHIN
    (stopped,) = [e for e in events(log) if e["event"] == "server_stopped"]
    assert "abandoned" not in stopped


@pytest.mark.parametrize("sent", SIGNALS, ids=lambda s: s.name)
def test_the_scheduler_stops_with_its_leader_stuck_on_the_database(
    seeded_url: str, tmp_path: Path, sent: signal.Signals
) -> None:
    log = tmp_path / "scheduler.log"
    with write_locked(seeded_url):
        scheduler = start(seeded_url, log, "scheduler")
        # It leads, then waits on the lock to store its jobs.
        wait_for(lambda: "scheduler_leader" in log.read_text(), "the scheduler never led")
        time.sleep(0.5)
        took = stopped_cleanly(scheduler, sent, log)
    assert took < STOPPED_WITHIN
    assert [e["event"] for e in events(log)][-2:] == ["scheduler_leader_busy", "scheduler_stopped"]


def ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/ready", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
