"""End to end: the real `fabdesk-driver` process -> the real server (uvicorn, SQLite, PostgreSQL).

Faults on the way: kill -9 of the driver mid-session and mid-upload, the server stopped for a
while, the serial line pulled, OctoPrint restarted. Each test ends with what the server's
database holds: exactly the sessions that happened, once each, finished with their outcome.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import col, select

from fabdesk.db import Engine, session_scope
from fabdesk.models import Equipment, IngestedEvent, UsageSession
from fabdesk.wire import Outcome
from hardware.simulators.grbl_laser import GrblLaser
from tests.api.conftest import DeviceToken
from tests.drivers.conftest import wait_until
from tests.drivers.octoprint_peer import OctoPrint, gcode
from tests.drivers.test_daemon_faults import DriverProcess, write_config

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SlowAcknowledgements:
    """An ASGI layer in front of the real app: the app has stored the batch and answered, and
    the answer waits `delay` seconds before it leaves (a slow network), so a driver can be killed
    after the server stored its events and before it learnt so."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.delay = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        delay = self.delay if scope.get("path") == "/api/v1/ingest" else 0.0

        async def late_send(message: Any) -> None:
            if message["type"] == "http.response.start" and delay:
                await asyncio.sleep(delay)
            await send(message)

        await self.app(scope, receive, late_send)


class Server:
    """The real app on a real uvicorn at a fixed port, which can be stopped and started again."""

    def __init__(self, app: FastAPI) -> None:
        self.asgi = SlowAcknowledgements(app)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            self.asgi,
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="off",
            ws="none",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        wait_until(lambda: self._server is not None and self._server.started, timeout=20)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=20)
            assert not self._thread.is_alive(), "uvicorn did not stop"
        self._server = None


@pytest.fixture
def server(app: FastAPI) -> Iterator[Server]:
    running = Server(app)
    running.start()
    yield running
    running.stop()


def sessions(engine: Engine, device: DeviceToken) -> list[UsageSession]:
    with session_scope(engine) as session:
        equipment = session.exec(
            select(Equipment).where(Equipment.asset_tag == device.equipment_tag)
        ).one()
        return list(
            session.exec(
                select(UsageSession)
                .where(UsageSession.equipment_id == equipment.id)
                .order_by(col(UsageSession.id))
            )
        )


def ingested(engine: Engine) -> int:
    with session_scope(engine) as session:
        return len(session.exec(select(IngestedEvent.uuid)).all())


def finished(engine: Engine, device: DeviceToken, count: int) -> bool:
    found = sessions(engine, device)
    return len(found) >= count and all(s.outcome is not None for s in found)


def exactly(engine: Engine, device: DeviceToken, outcomes: list[Outcome]) -> list[UsageSession]:
    """The server holds exactly these sessions, once each, finished."""
    time.sleep(0.5)  # anything still on its way would show up now
    found = sessions(engine, device)
    assert [s.outcome for s in found] == outcomes
    assert len({s.uuid for s in found}) == len(found)
    for usage in found:
        assert usage.ended_at is not None
        assert usage.started_at is not None
        assert usage.ended_at >= usage.started_at
    return found


@pytest.fixture
def driver_for(tmp_path: Path, server: Server, device: DeviceToken) -> Iterator[Any]:
    made: list[DriverProcess] = []

    def make(port: str, **extra: str) -> DriverProcess:
        process = DriverProcess(write_config(tmp_path, server.url, port, token=device.token))
        made.append(process)
        return process

    yield make
    for process in made:
        process.stop()


def test_driver_killed_mid_session_and_mid_upload_gives_one_session(
    driver_for: Any, server: Server, laser: GrblLaser, api_engine: Engine, device: DeviceToken
) -> None:
    driver = driver_for(laser.port)
    driver.start()
    wait_until(lambda: ingested(api_engine) > 0, timeout=20)  # its first heartbeat
    laser.stream("M4 S800\nG1 X100 F600\n")  # 10 s
    wait_until(lambda: sessions(api_engine, device), timeout=20)
    driver.kill()  # mid-session
    stored = ingested(api_engine)
    server.asgi.delay = 3.0
    driver.start()
    wait_until(lambda: ingested(api_engine) > stored, timeout=20)
    driver.kill()  # mid-upload: the server stored the batch, its acknowledgement is on its way
    server.asgi.delay = 0.0
    driver.start()
    wait_until(lambda: finished(api_engine, device, 1), timeout=30)
    (usage,) = exactly(api_engine, device, [Outcome.DONE])
    # Laser time is counted while a driver watched; the seconds nobody watched are not billed.
    assert 0 < usage.active_seconds < 10.0


def test_server_stopped_for_a_while_gets_every_session_once(
    driver_for: Any, server: Server, laser: GrblLaser, api_engine: Engine, device: DeviceToken
) -> None:
    driver = driver_for(laser.port)
    driver.start()
    wait_until(lambda: ingested(api_engine) > 0, timeout=20)  # its first heartbeat
    laser.stream("M4 S800\nG1 X20 F2400\n")
    wait_until(lambda: finished(api_engine, device, 1), timeout=20)
    server.stop()
    for target in (0, 20):
        laser.stream(f"M4 S800\nG1 X{target} F2400\n")
        wait_until(lambda: laser.state == "Run", timeout=5)
        wait_until(lambda: laser.state == "Idle", timeout=5)
        time.sleep(0.6)
    laser.stream("M4 S800\nG1 X40 F1200\n")  # still running when the server comes back
    wait_until(lambda: laser.state == "Run", timeout=5)
    server.start()
    wait_until(lambda: finished(api_engine, device, 4), timeout=30)
    exactly(api_engine, device, [Outcome.DONE] * 4)


def test_pulled_serial_line_gives_one_session_per_job(
    driver_for: Any, server: Server, laser: GrblLaser, api_engine: Engine, device: DeviceToken
) -> None:
    driver = driver_for(laser.port)
    driver.start()
    wait_until(lambda: ingested(api_engine) > 0, timeout=20)  # its first heartbeat
    laser.stream("M4 S800\nG1 X60 F1200\n")  # 3 s
    wait_until(lambda: sessions(api_engine, device), timeout=20)
    laser.drop_line()
    time.sleep(1.0)
    laser.replug(reset=False)  # the controller kept its power: the job went on
    wait_until(lambda: finished(api_engine, device, 1), timeout=20)
    laser.stream("M4 S800\nG1 X100 F1200\n")
    wait_until(lambda: len(sessions(api_engine, device)) == 2, timeout=20)
    laser.drop_line()
    time.sleep(0.5)
    laser.replug(reset=True)  # USB-powered: the board restarts, the job is lost
    wait_until(lambda: finished(api_engine, device, 2), timeout=20)
    exactly(api_engine, device, [Outcome.DONE, Outcome.INTERRUPTED])


def octoprint_config(
    tmp_path: Path, server: Server, device: DeviceToken, octoprint: OctoPrint, extra: str = ""
) -> Path:
    """The TOML of a driver for the real OctoPrint, sending to the real server."""
    config = tmp_path / "octo.toml"
    config.write_text(
        f"""
[server]
url = "{server.url}"
token = "{device.token}"
heartbeat_seconds = 1
backoff_max_seconds = 1

[machine]
kind = "octoprint"
url = "{octoprint.url}"
api_key = "{octoprint.api_key}"
poll_seconds = 0.1
reconnect_max_seconds = 0.5
{extra}
[outbox]
path = "{tmp_path / "outbox.db"}"
"""
    )
    return config


@pytest.mark.octoprint
@pytest.mark.timeout(900)
# OctoPrint's restart does not depend on the database: SQLite alone covers it.
@pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True)
def test_octoprint_restart_gives_one_interrupted_session(
    tmp_path: Path,
    server: Server,
    api_engine: Engine,
    device: DeviceToken,
    octoprint: OctoPrint,
) -> None:
    driver = DriverProcess(octoprint_config(tmp_path, server, device, octoprint))
    try:
        driver.start()
        wait_until(lambda: ingested(api_engine) > 0, timeout=20)  # its first heartbeat
        octoprint.print_file("long.gcode", gcode(2000))
        wait_until(lambda: sessions(api_engine, device), timeout=30)
        octoprint.stop()
        time.sleep(1.0)
        octoprint.start()
        octoprint.connect_printer()
        wait_until(lambda: finished(api_engine, device, 1), timeout=30)
        octoprint.print_file("cube.gcode", gcode(40))
        wait_until(lambda: finished(api_engine, device, 2), timeout=60)
        exactly(api_engine, device, [Outcome.INTERRUPTED, Outcome.DONE])
    finally:
        driver.stop()
