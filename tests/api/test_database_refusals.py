"""A 503 leaves a trace: what the database refuses while it is up (SQLite busy past its timeout)
is logged at WARNING once per cause, with the database's own short reason, through the real app
on a real uvicorn; an outage is logged once by the engine's DatabaseWatch, not once per request.
SQLite only: a busy file and a file gone are SQLite's (PostgreSQL's outage has its own test in
tests/integration/test_outage.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
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


@contextmanager
def moved_away(url: str) -> Iterator[None]:
    """The database file is gone (its disk unmounted), then back."""
    path = Path(url.removeprefix("sqlite:///"))
    path.rename(path.with_name("away.db"))
    try:
        yield
    finally:
        path.with_name("away.db").rename(path)


@pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("disturbed", "said", "level", "reason", "unsaid"),
    [
        (write_locked, "database_refused", logging.WARNING, "database is locked", "database_lost"),
        (moved_away, "database_lost", logging.ERROR, "unable to open database file",
         "database_refused"),
    ],
    ids=["busy", "gone"],
)  # fmt: skip
def test_a_503_is_logged_once_with_its_reason(
    seeded_url: str,
    device: DeviceToken,
    client: httpx.Client,
    caplog: pytest.LogCaptureFixture,
    disturbed: Callable[[str], AbstractContextManager[None]],
    said: str,
    level: int,
    reason: str,
    unsaid: str,
) -> None:
    """Busy (another program holds the write lock): the API logs it, once; gone: the engine's
    DatabaseWatch logs the outage once, and the API nothing more per request."""
    caplog.set_level(logging.INFO)
    assert beat(client, device) == 200
    with disturbed(seeded_url):
        answers = [beat(client, device) for _ in range(3)]
    assert answers == [503, 503, 503]
    (record,) = logged(caplog, said)
    assert (record.levelno, record.__dict__["reason"]) == (level, reason)  # no SQL, no values
    assert not logged(caplog, unsaid)
    assert beat(client, device) == 200


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
