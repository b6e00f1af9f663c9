"""Fixtures of the driver tests: the ingest stand-in, simulators on ptys, a waiting helper."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.simulators.grbl_laser import GrblLaser
from hardware.simulators.marlin_printer import MarlinPrinter
from hardware.simulators.usage_meter import UsageMeter
from tests.drivers.ingest_peer import IngestPeer
from tests.drivers.octoprint_peer import OctoPrint


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, step: float = 0.02) -> None:
    """Wait for a real peer to reach a state (never a blind sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


@pytest.fixture
def ingest() -> Iterator[IngestPeer]:
    peer = IngestPeer().start()
    yield peer
    peer.stop()


@pytest.fixture
def laser(tmp_path: Path) -> Iterator[GrblLaser]:
    with GrblLaser(tmp_path / "ttyGRBL") as sim:
        yield sim


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[MarlinPrinter]:
    with MarlinPrinter(tmp_path / "ttyMARLIN", files={"benchy.gcode": 600}) as sim:
        yield sim


@pytest.fixture
def meter(tmp_path: Path) -> Iterator[UsageMeter]:
    with UsageMeter(tmp_path / "ttyMETER") as sim:
        yield sim


@pytest.fixture(scope="module")
def octoprint_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OctoPrint]:
    """One real OctoPrint per test module (starting one takes ~10 s here)."""
    server = OctoPrint(tmp_path_factory.mktemp("octoprint"))
    server.start()
    yield server
    server.close()


@pytest.fixture
def octoprint(octoprint_server: OctoPrint) -> OctoPrint:
    """The real OctoPrint, running, its virtual printer connected and idle."""
    server = octoprint_server
    if server.process is None:
        server.start()
    if server.state() != "Operational":
        server.connect_printer()
    return server


# The API area's live-server fixtures, for the end-to-end tests (driver -> the real server).
from tests.api.conftest import (  # noqa: E402, F401
    _seed,
    api_engine,
    api_settings,
    app,
    device,
    machines,
    seeded_sqlite_template,
    seeded_url,
)
from tests.support.postgres import PostgresServer  # noqa: E402


@pytest.fixture(scope="session")
def seeded_postgres_template(postgres: PostgresServer, postgres_template: str) -> str:
    """The API's seeded template under a name of our own (the API tests make theirs)."""
    name = "fabdesk_drivers_template"
    with postgres.admin() as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    _seed(postgres.url(name))
    return name
