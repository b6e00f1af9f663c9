"""The database restarts while a kiosk books and a driver posts: everyone reconnects, nothing
committed is lost, nothing is counted twice.

A PostgreSQL server of its own (the restart would cut every other test off), the real API on
uvicorn, the driver's real outbox and uplink, and the booking service used as a kiosk uses it.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from drivers.coordinator import run_uplink
from drivers.outbox import Outbox
from drivers.uplink import Uplink, make_client
from fabdesk.api.app import create_app
from fabdesk.db import make_engine, session_scope, upgrade, write_session
from fabdesk.errors import RuleViolation
from fabdesk.models import (
    Booking,
    Equipment,
    Maker,
    OpeningHours,
    Site,
    UsageSession,
    id_of,
)
from fabdesk.settings import load_settings
from fabdesk.usage.devices import register_device
from inventory.makers import certify
from inventory.seed import seed
from scheduling.bookings import book
from tests.api.conftest import serving
from tests.api.events import job
from tests.support.postgres import PostgresServer

pytestmark = [pytest.mark.pg, pytest.mark.slow]

TAG = "CF1-00001-R"


def test_restart_while_kiosks_book_and_drivers_post(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    settings = load_settings(
        overrides={
            "database": {"url": own_postgres.url("fabdesk")},
            # No quota: the kiosk books as fast as it can for as long as the test runs.
            "scheduler": {
                "booking": {
                    "max_future_bookings": 0,
                    "max_hours_per_week": 0,
                    "max_days_ahead": 3650,
                }
            },
        }
    )
    engine = make_engine(settings.database)
    upgrade(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        seed(session, today=now.date())
        site = session.exec(select(Site).where(Site.code == "cityfab1")).one()
        for hours in session.exec(select(OpeningHours).where(OpeningHours.site_id == site.id)):
            session.delete(hours)
        session.flush()
        for weekday in range(7):  # open around the clock: the test runs at any hour
            session.add(
                OpeningHours(
                    site_id=id_of(site),
                    weekday=weekday,
                    opens=clock_time(0),
                    closes=clock_time(23, 59),
                )
            )
        makers = list(session.exec(select(Maker).order_by(col(Maker.id)).limit(40)))
        for maker in makers:
            certify(session, maker, "fdm", granted_on=date(2026, 1, 1))
        printers = [
            id_of(item)
            for item in session.exec(
                select(Equipment).where(
                    Equipment.site_id == site.id, col(Equipment.name).contains("Prusa")
                )
            )
        ]
        token = register_device(session, equipment_tag=TAG, name="pi", now=now).token
    maker_ids = [id_of(m) for m in makers]

    committed: list[int] = []
    refused = 0
    stop = threading.Event()

    def kiosk() -> None:
        """Books 30-minute slots on the printers, day after day, retrying through the outage."""
        nonlocal refused
        n = 0
        while not stop.is_set():
            day = now.date() + timedelta(days=1 + n // 40)
            start = datetime.combine(day, clock_time(8), UTC) + timedelta(minutes=30 * (n % 20))
            try:
                with write_session(engine) as session:
                    booking = book(
                        session,
                        maker_id=maker_ids[n % len(maker_ids)],
                        equipment_id=printers[(n // 20) % len(printers)],
                        starts_at=start,
                        ends_at=start + timedelta(minutes=30),
                        now=datetime.now(UTC),
                        settings=settings.scheduler,
                    )
                    booking_id = id_of(booking)
            except RuleViolation:
                refused += 1
            except DBAPIError:  # the database is restarting: the kiosk tries again
                time.sleep(0.2)
                continue
            else:
                committed.append(booking_id)
            n += 1

    sessions: list[uuid.UUID] = []
    outbox = Outbox(tmp_path / "outbox.db")

    def machine() -> None:
        """The driver's measuring side: a short job every few tenths of a second."""
        start = now
        while not stop.is_set() and len(sessions) < 60:
            session_id, events = job(start, minutes=3, progress_every=1)
            outbox.append(events)
            sessions.append(session_id)
            start += timedelta(minutes=5)
            time.sleep(0.05)

    app = create_app(settings, engine)
    with serving(app) as url:
        client = make_client(url, token, timeout=5)
        uplink = Uplink(client, outbox, batch_events=50, backoff_max_seconds=1.0)
        uplink_stop, wake = threading.Event(), threading.Event()
        threads = [
            threading.Thread(target=kiosk, name="kiosk"),
            threading.Thread(target=machine, name="machine"),
            threading.Thread(target=run_uplink, args=(uplink, uplink_stop, wake), name="uplink"),
        ]
        for thread in threads:
            thread.start()
        try:
            time.sleep(2)
            own_postgres.restart()
            after_restart = len(committed)
            deadline = time.monotonic() + 60
            while len(committed) < after_restart + 10 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert len(committed) >= after_restart + 10, "the kiosk did not get back to booking"
        finally:
            stop.set()
            threads[0].join(30)
            threads[1].join(30)
        deadline = time.monotonic() + 60
        while outbox.backlog() and time.monotonic() < deadline:
            time.sleep(0.2)
        uplink_stop.set()
        wake.set()
        threads[2].join(30)
        client.close()
    assert outbox.backlog() == 0, "the driver's outbox did not drain after the restart"
    outbox.close()

    with session_scope(engine) as session:
        stored = set(session.exec(select(Booking.id)))
        usage = session.exec(select(UsageSession.uuid, UsageSession.active_seconds)).all()
    engine.dispose()
    assert set(committed) <= stored, "a booking the kiosk saw committed is gone"
    assert len(committed) > 20
    assert sorted(u for u, _ in usage) == sorted(sessions), "each session exactly once"
    assert all(seconds == 180 for _, seconds in usage)
