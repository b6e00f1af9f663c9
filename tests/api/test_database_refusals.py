"""A 503 leaves a trace: what the database refuses while it is up (SQLite busy past its timeout)
is logged at WARNING once per cause, with the database's own short reason, through the real app
on a real uvicorn; an outage is logged once by the engine's DatabaseWatch, not once per request.
SQLite only: a busy file and a file gone are SQLite's (PostgreSQL's outage has its own test in
tests/integration/test_outage.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from fabdesk.db import REFUSAL_REMINDER_SECONDS, DatabaseWatch
from fabdesk.settings import Settings, load_settings
from fabdesk.wire import EventKind
from tests.api.conftest import DeviceToken
from tests.api.events import batch, event
from tests.api.test_stopping import write_locked

sqlite_only = pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True)


@pytest.fixture
def api_settings(seeded_url: str) -> Settings:
    """A short busy timeout: a locked database refuses the write in 50 ms, not 5 s."""
    return load_settings(overrides={"database": {"url": seeded_url, "busy_timeout_ms": 50}})


def beat(client: httpx.Client, device: DeviceToken) -> int:
    """A heartbeat posted by `device` (a write): the answer's status."""
    sent = batch([event(EventKind.HEARTBEAT, datetime.now(UTC), backlog=0)])
    return client.post("/api/v1/ingest", json=sent, headers=device.headers).status_code


def logged(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "fabdesk.db" and r.getMessage() == name]


@sqlite_only
def test_a_busy_database_is_logged_once_with_its_reason(
    seeded_url: str, device: DeviceToken, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert beat(client, device) == 200
    with write_locked(seeded_url):  # another program holds the write lock
        answers = [beat(client, device) for _ in range(3)]
    assert answers == [503, 503, 503]
    (record,) = logged(caplog, "database_refused")
    assert record.levelno == logging.WARNING
    assert record.__dict__["reason"] == "database is locked"  # no SQL, no parameters
    assert record.__dict__["unlogged"] == 0
    assert not logged(caplog, "database_lost")  # busy is no outage
    assert beat(client, device) == 200


@sqlite_only
def test_an_outage_is_logged_once_by_the_watch_not_per_request(
    seeded_url: str, device: DeviceToken, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    assert beat(client, device) == 200
    path = Path(seeded_url.removeprefix("sqlite:///"))
    away = path.with_name("away.db")
    path.rename(away)  # the disk holding the database is gone
    try:
        answers = [beat(client, device) for _ in range(3)]
    finally:
        away.rename(path)
    assert answers == [503, 503, 503]
    assert len(logged(caplog, "database_lost")) == 1
    assert not logged(caplog, "database_refused")
    assert beat(client, device) == 200
    assert len(logged(caplog, "database_back")) == 1


def test_each_cause_is_logged_once_then_reminded_hourly_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = [0.0]
    watch = DatabaseWatch(monotonic=lambda: clock[0])
    caplog.set_level(logging.WARNING, logger="fabdesk.db")
    for _ in range(5):
        watch.refused(RuntimeError("database is locked"))
    watch.refused(RuntimeError("database or disk is full"))
    clock[0] = REFUSAL_REMINDER_SECONDS
    watch.refused(RuntimeError("database is locked"))
    watch.lost(RuntimeError("unable to open database file"))
    watch.refused(RuntimeError("unable to open database file"))  # the outage: already said
    said = [
        (r.__dict__["reason"], r.__dict__["unlogged"]) for r in logged(caplog, "database_refused")
    ]
    assert said == [
        ("database is locked", 0),
        ("database or disk is full", 0),
        ("database is locked", 4),
    ]
