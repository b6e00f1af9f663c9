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


@pytest.fixture
def octoprint(tmp_path: Path) -> Iterator[OctoPrint]:
    """The real OctoPrint, started, its virtual printer connected."""
    server = OctoPrint(tmp_path / "octoprint")
    server.start()
    server.connect_printer()
    yield server
    server.close()
