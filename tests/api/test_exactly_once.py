"""Exactly once: the same batches posted many times, shuffled, by several clients at once, over
real HTTP, give each usage session exactly once with the right totals (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlmodel import Session, select

from fabdesk.api.app import create_app
from fabdesk.db import Engine
from fabdesk.models import UsageSession, id_of
from fabdesk.settings import Settings
from fabdesk.wire import Event, EventKind, Outcome
from tests.api.conftest import DeviceToken, add_device, serving
from tests.api.events import batch, event, job

CLIENTS = 4
REPEATS = 3
SESSIONS_PER_MACHINE = 8


def post(client: httpx.Client, device: DeviceToken, body: dict[str, Any]) -> dict[str, Any]:
    """Post like a driver: retry while the server asks to (429, 503)."""
    for _ in range(100):
        response = client.post("/api/v1/ingest", json=body, headers=device.headers)
        if response.status_code in (429, 503):
            time.sleep(float(response.headers.get("retry-after", "0.05")) / 10)
            continue
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer
    raise AssertionError("the server kept refusing")


def split(events: Sequence[Event], rng: random.Random) -> list[list[Event]]:
    shuffled = list(events)
    rng.shuffle(shuffled)
    batches: list[list[Event]] = []
    while shuffled:
        size = rng.randint(1, 12)
        batches.append(shuffled[:size])
        shuffled = shuffled[size:]
    return batches


def test_every_session_exactly_once(
    api_settings: Settings, api_engine: Engine, machines: list[str]
) -> None:
    rng = random.Random(20261124)
    settings = api_settings.model_copy(
        update={
            "api": api_settings.api.model_copy(
                update={"device_requests_per_second": 1000.0, "device_burst": 1000}
            )
        }
    )
    start = datetime.now(UTC) - timedelta(hours=6)
    expected: dict[UUID, tuple[str, float, float, Outcome]] = {}
    work: list[tuple[DeviceToken, dict[str, Any]]] = []
    all_events: list[UUID] = []
    for index, tag in enumerate(machines[:2]):
        device = add_device(api_engine, tag)
        events: list[Event] = []
        for number in range(SESSIONS_PER_MACHINE):
            minutes = rng.randint(1, 9)
            outcome = rng.choice(list(Outcome))
            session_id, session_events = job(
                start + timedelta(minutes=20 * number + index),
                minutes=minutes,
                progress_every=1,
                outcome=outcome,
                grams_per_minute=1.5,
            )
            expected[session_id] = (tag, minutes * 60.0, minutes * 1.5, outcome)
            events += session_events
            events.append(event(EventKind.HEARTBEAT, start + timedelta(minutes=20 * number)))
        all_events += [e.id for e in events]
        work += [(device, batch(part)) for part in split(events, rng)]

    finished: list[int] = []
    lock = threading.Lock()

    def on_finished(_session: Session, ids: Sequence[int], _now: datetime) -> None:
        with lock:
            finished.extend(ids)

    app = create_app(settings, api_engine, finished_hooks=[on_finished])
    plans = []
    for _ in range(CLIENTS):
        plan = work * REPEATS
        rng.shuffle(plan)
        plans.append(plan)

    with serving(app) as url:

        def run(plan: list[tuple[DeviceToken, dict[str, Any]]]) -> Counter[str]:
            accepted: Counter[str] = Counter()
            with httpx.Client(base_url=url, timeout=60) as client:
                for device, body in plan:
                    accepted.update(post(client, device, body)["accepted"])
            return accepted

        with ThreadPoolExecutor(CLIENTS) as pool:
            counts = sum(pool.map(run, plans), Counter[str]())

    # Every event was stored (acknowledged as accepted) exactly once, all others were duplicates.
    assert counts == Counter(str(uuid) for uuid in all_events)
    with Session(api_engine) as session:
        stored = {row.uuid: row for row in session.exec(select(UsageSession))}
        tags = {usage.uuid: usage.equipment_id for usage in stored.values()}
    assert set(stored) == set(expected)
    for session_id, (_tag, active, grams, outcome) in expected.items():
        usage = stored[session_id]
        assert usage.active_seconds == active
        assert usage.material_g == grams
        assert usage.outcome is outcome
        assert usage.finished
    assert len(set(tags.values())) == 2
    # The accounting hook heard of each finished session exactly once.
    assert sorted(finished) == sorted(id_of(usage) for usage in stored.values())
