"""End to end with a badge: the real `fabdesk-driver` reading a simulated RDM6300 on a pty and a
simulated GRBL laser, the real server (uvicorn; SQLite and PostgreSQL).

Allowed badge -> walk-in booking, the session_started carries the badge, the session is the
maker's and is charged to them once; refused badge -> the refusal code, nothing charged; server
down -> the allow-list decides, the use is sent when it is back and checked again there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from fabdesk.accounting.pricing import PriceRules
from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import (
    BadgeDecision,
    Booking,
    Equipment,
    Maker,
    ManagerCredential,
    OpeningHours,
    UsageCharge,
    UsageSession,
    id_of,
)
from fabdesk.settings import SchedulerSettings
from fabdesk.wire import ALLOW
from hardware.simulators.badge_reader import BadgeReader
from hardware.simulators.grbl_laser import GrblLaser
from scheduling.badges import decide
from tests.api.conftest import DeviceToken
from tests.drivers import test_end_to_end
from tests.drivers.conftest import wait_until
from tests.drivers.test_daemon_faults import DriverProcess, write_config
from tests.drivers.test_end_to_end import Server

pytestmark = pytest.mark.slow

server = test_end_to_end.server
"""The real server on uvicorn, which a test can stop and start again."""


@pytest.fixture
def reader(tmp_path: Path) -> Iterator[BadgeReader]:
    with BadgeReader(tmp_path / "ttyBADGE") as simulated:
        yield simulated


def _open_all_day(engine: Engine, equipment_id: int) -> None:
    """The lab open round the clock, as the demo does, so a walk-in works whenever tests run."""
    with session_scope(engine) as session:
        site_id = session.exec(select(Equipment.site_id).where(Equipment.id == equipment_id)).one()
        for hours in session.exec(select(OpeningHours).where(OpeningHours.site_id == site_id)):
            session.delete(hours)
        session.flush()
        for weekday in range(7):
            session.add(
                OpeningHours(
                    site_id=site_id,
                    weekday=weekday,
                    opens=datetime.min.time(),
                    closes=datetime.max.time().replace(second=0, microsecond=0),
                )
            )


def _badge_with(engine: Engine, equipment_id: int, result: str) -> Maker:
    """A maker (not a manager) whose badge the server answers `result` for now."""
    now = datetime.now(UTC)
    with write_session(engine) as session:
        managers = set(session.exec(select(ManagerCredential.maker_id)).all())
        for maker in session.exec(
            select(Maker).where(col(Maker.badge_id).is_not(None)).order_by(col(Maker.id))
        ):
            if maker.id in managers or maker.badge_id is None:
                continue
            decision = decide(
                session,
                equipment_id=equipment_id,
                badge=maker.badge_id,
                now=now,
                settings=SchedulerSettings(),
                walk_in_minutes=60,
                make_walk_in=False,
            )
            if decision.result == result:
                session.expunge(maker)
                return maker
    raise AssertionError(f"no maker gets {result}")


@pytest.fixture
def equipment_id(api_engine: Engine, device: DeviceToken) -> int:
    with session_scope(api_engine) as session:
        equipment = session.exec(
            select(Equipment).where(Equipment.asset_tag == device.equipment_tag)
        ).one()
        found = id_of(equipment)
    _open_all_day(api_engine, found)
    return found


@pytest.fixture
def driver(
    tmp_path: Path, server: Server, laser: GrblLaser, reader: BadgeReader, device: DeviceToken
) -> Iterator[DriverProcess]:
    config = write_config(tmp_path, server.url, laser.port, token=device.token)
    with config.open("a", encoding="utf-8") as toml:
        toml.write(
            f'\n[badge]\nreader = "rdm6300"\nport = "{reader.port}"\n'
            "allow_list_refresh_seconds = 10\nrepeat_seconds = 1\n"
        )
    process = DriverProcess(config)
    yield process
    process.stop()


def decisions(engine: Engine) -> list[BadgeDecision]:
    with session_scope(engine) as session:
        return list(session.exec(select(BadgeDecision).order_by(col(BadgeDecision.id))).all())


def usages(engine: Engine, equipment_id: int) -> list[UsageSession]:
    with session_scope(engine) as session:
        return list(
            session.exec(select(UsageSession).where(UsageSession.equipment_id == equipment_id))
        )


def finished(engine: Engine, equipment_id: int) -> bool:
    found = usages(engine, equipment_id)
    return bool(found) and all(u.outcome is not None for u in found)


def log_of(tmp_path: Path) -> str:
    path = tmp_path / "driver.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def run_job(laser: GrblLaser) -> None:
    laser.stream("M4 S800\nG1 X20 F2400\n")
    wait_until(lambda: laser.state == "Run", timeout=5)
    wait_until(lambda: laser.state == "Idle", timeout=10)


def charge_all(engine: Engine) -> list[UsageCharge]:
    from fabdesk.accounting import post_pending_charges

    with write_session(engine) as session:
        post_pending_charges(
            session, now=datetime.now(UTC) + timedelta(minutes=1), rules=PriceRules.default()
        )
    with session_scope(engine) as session:
        return list(session.exec(select(UsageCharge)))


def started_with(
    driver: DriverProcess, engine: Engine, equipment_id: int, result: str, tmp_path: Path
) -> str:
    """Start the driver once it has its allow-list; the badge of a maker who gets `result`."""
    maker = _badge_with(engine, equipment_id, result)
    assert maker.badge_id is not None
    driver.start()
    wait_until(lambda: "allow_list_refreshed" in log_of(tmp_path), timeout=20)
    return maker.badge_id


def presented(reader: BadgeReader, badge: str, engine: Engine) -> BadgeDecision:
    reader.present(badge)
    wait_until(lambda: decisions(engine), timeout=10)
    (decision,) = decisions(engine)
    return decision


def test_an_allowed_badge_walks_in_and_its_session_is_charged_to_the_maker(
    driver: DriverProcess,
    reader: BadgeReader,
    laser: GrblLaser,
    api_engine: Engine,
    equipment_id: int,
    tmp_path: Path,
) -> None:
    badge = started_with(driver, api_engine, equipment_id, ALLOW, tmp_path)
    decision = presented(reader, badge, api_engine)
    assert (decision.result, decision.source) == (ALLOW, "server")
    maker_id = decision.maker_id
    assert maker_id is not None
    run_job(laser)
    wait_until(lambda: finished(api_engine, equipment_id), timeout=20)
    (usage,) = usages(api_engine, equipment_id)
    assert "session_badged" in log_of(tmp_path), "the session_started carried the badge"
    with session_scope(api_engine) as session:
        booking = session.get(Booking, decision.booking_id)
        assert booking is not None
        assert booking.walk_in
    assert usage.maker_id == maker_id
    assert usage.booking_id == decision.booking_id
    (charge,) = charge_all(api_engine)
    assert charge.maker_id == maker_id
    assert charge.usage_session_id == usage.id


def test_a_refused_badge_gets_its_code_and_nothing_is_charged(
    driver: DriverProcess,
    reader: BadgeReader,
    api_engine: Engine,
    equipment_id: int,
    tmp_path: Path,
) -> None:
    badge = started_with(driver, api_engine, equipment_id, "not_certified", tmp_path)
    decision = presented(reader, badge, api_engine)
    assert decision.result == "not_certified"
    assert decision.maker_id is not None
    wait_until(lambda: "badge_decision result=not_certified" in log_of(tmp_path), timeout=5)
    with session_scope(api_engine) as session:
        assert session.exec(select(Booking).where(col(Booking.walk_in))).all() == []
    assert usages(api_engine, equipment_id) == []
    assert charge_all(api_engine) == []


def test_server_down_the_allow_list_decides_and_the_server_checks_it_on_arrival(
    driver: DriverProcess,
    server: Server,
    reader: BadgeReader,
    laser: GrblLaser,
    api_engine: Engine,
    equipment_id: int,
    tmp_path: Path,
) -> None:
    badge = started_with(driver, api_engine, equipment_id, ALLOW, tmp_path)
    server.stop()
    reader.present(badge)
    wait_until(lambda: "offline=True" in log_of(tmp_path), timeout=10)
    assert "badge_decision result=allow" in log_of(tmp_path)
    run_job(laser)
    time.sleep(1.0)  # the session ends in the outbox while the server is away
    assert decisions(api_engine) == []
    server.start()
    wait_until(lambda: finished(api_engine, equipment_id), timeout=30)
    wait_until(lambda: decisions(api_engine), timeout=10)
    (decision,) = decisions(api_engine)
    assert (decision.source, decision.offline_result, decision.result) == ("offline", ALLOW, ALLOW)
    assert decision.maker_id is not None
    assert not decision.flagged
    assert decision.event_uuid is not None
    assert len(usages(api_engine, equipment_id)) == 1
