"""The real `fabdesk-driver` process against a simulated laser and the ingest stand-in, killed -9.

Each test ends with what the server holds: exactly the sessions that happened, once each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fabdesk.wire import Event, EventKind, Outcome
from hardware.simulators.grbl_laser import GrblLaser
from tests.drivers.conftest import wait_until
from tests.drivers.ingest_peer import IngestPeer

BIN = Path(sys.executable).parent

FAKETIME = next(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"), None)
"""Debian's libfaketime (package `faketime`, installed by scripts/system-deps)."""

pytestmark = pytest.mark.slow


def write_config(tmp_path: Path, server_url: str, port: str, token: str = "device-token") -> Path:
    config = tmp_path / "driver.toml"
    config.write_text(
        f"""
[server]
url = "{server_url}"
token = "{token}"
timeout_seconds = 2
heartbeat_seconds = 0.5
backoff_max_seconds = 1

[machine]
kind = "grbl"
port = "{port}"
poll_seconds = 0.05
idle_grace_seconds = 0.3
progress_seconds = 0.3
reconnect_max_seconds = 0.5

[outbox]
path = "{tmp_path / "outbox.db"}"

[log]
path = "{tmp_path / "driver.log"}"
level = "DEBUG"
""",
        encoding="utf-8",
    )
    return config


class DriverProcess:
    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.env = env
        """Extra environment of the process (e.g. libfaketime's, for a Pi's clock)."""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "fabdesk-driver"), "--config", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **self.env} if self.env else None,
        )

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def driver(tmp_path: Path, ingest: IngestPeer, laser: GrblLaser) -> Iterator[DriverProcess]:
    process = DriverProcess(write_config(tmp_path, ingest.url, laser.port))
    yield process
    process.stop()


def once_each(peer: IngestPeer, sessions: int) -> list[Outcome | None]:
    counts = peer.session_counts()
    assert len(counts) == sessions, counts
    for count in counts.values():
        assert count["session_started"] == 1
        assert count["session_ended"] == 1
    return [e.readings.outcome for e in peer.ended()]


def started(peer: IngestPeer) -> int:
    return len(peer.stored(EventKind.SESSION_STARTED))


def test_killed_mid_session_the_driver_continues_the_same_job(
    driver: DriverProcess, ingest: IngestPeer, laser: GrblLaser
) -> None:
    driver.start()
    wait_until(lambda: ingest.stored(EventKind.HEARTBEAT), timeout=15)
    laser.stream("M4 S800\nG1 X100 F1200\n")  # 5 s
    wait_until(lambda: started(ingest) == 1)
    driver.kill()
    driver.start()
    wait_until(lambda: ingest.ended(), timeout=15)
    assert once_each(ingest, 1) == [Outcome.DONE]


def test_killed_while_the_job_ends_the_session_is_closed_interrupted_once(
    driver: DriverProcess, ingest: IngestPeer, laser: GrblLaser
) -> None:
    driver.start()
    wait_until(lambda: ingest.stored(EventKind.HEARTBEAT), timeout=15)
    laser.stream("M4 S800\nG1 X20 F1200\n")  # 1 s
    wait_until(lambda: started(ingest) == 1)
    driver.kill()
    wait_until(lambda: laser.state == "Idle", timeout=5)
    laser.stream("M4 S800\nG1 X0 F1200\n")  # a second job, unseen: the Pi was down
    wait_until(lambda: laser.jobs_run == 2, timeout=5)
    driver.start()
    wait_until(lambda: ingest.ended(), timeout=15)
    time.sleep(0.5)
    assert once_each(ingest, 1) == [Outcome.INTERRUPTED]
    (end,) = ingest.ended()
    (begin,) = ingest.stored(EventKind.SESSION_STARTED)
    assert (end.device_time - begin.device_time).total_seconds() < 1.2


def test_killed_mid_upload_nothing_is_stored_twice(
    driver: DriverProcess, ingest: IngestPeer, laser: GrblLaser
) -> None:
    driver.start()
    wait_until(lambda: ingest.stored(EventKind.HEARTBEAT), timeout=15)
    ingest.delay = 3.0  # the server stores a batch, then is slow to acknowledge it
    laser.stream("M4 S800\nG1 X100 F1200\n")  # 5 s
    wait_until(lambda: started(ingest) == 1)
    driver.kill()  # while the acknowledgement is on its way
    ingest.delay = 0.0
    driver.start()
    wait_until(lambda: ingest.ended(), timeout=20)
    assert ingest.duplicates >= 1  # the unacknowledged batch was sent again
    assert once_each(ingest, 1) == [Outcome.DONE]


def test_the_server_down_for_a_while_loses_nothing(
    driver: DriverProcess, ingest: IngestPeer, laser: GrblLaser, tmp_path: Path
) -> None:
    driver.start()
    wait_until(lambda: ingest.stored(EventKind.HEARTBEAT), timeout=15)
    ingest.stop()
    for target in (20, 0, 20):  # three jobs while the server is down
        laser.stream(f"M4 S800\nG1 X{target} F2400\n")
        wait_until(lambda: laser.state == "Run", timeout=5)
        wait_until(lambda: laser.state == "Idle", timeout=5)
        time.sleep(0.5)
    back = IngestPeer(port=ingest.port, after=ingest).start()
    try:
        wait_until(lambda: len(back.ended()) == 3, timeout=20)
        assert once_each(back, 3) == [Outcome.DONE] * 3
        log_file = tmp_path / "driver.log"
        wait_until(lambda: "uplink_recovered" in log_file.read_text(), timeout=10)
        log = log_file.read_text()
        assert log.count("uplink_failing") == 1
        assert log.count("uplink_recovered") == 1
    finally:
        back.stop()


def test_driver_check_tells_what_works(
    tmp_path: Path, ingest: IngestPeer, laser: GrblLaser
) -> None:
    good = write_config(tmp_path, ingest.url, laser.port)
    result = subprocess.run(
        [str(BIN / "fabdesk"), "driver", "check", "--config", str(good)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "accepts the token" in result.stdout
    bad = write_config(tmp_path, ingest.url, str(tmp_path / "nothing"), token="revoked")
    result = subprocess.run(
        [str(BIN / "fabdesk"), "driver", "check", "--config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 11
    assert "refuses the device token" in result.stdout
    assert "does not answer" in result.stdout


def test_killed_mid_job_and_back_at_1970_then_set_by_ntp_the_job_stays_one_session(
    tmp_path: Path, ingest: IngestPeer, laser: GrblLaser
) -> None:
    """The Pi restarts mid-job with its clock at 1970 (no clock battery), and NTP sets it while
    the job runs on: one session, its end today, never 56 years after its start.

    libfaketime moves the driver's wall clock only (as in test_attribution_end_to_end.py); the
    monotonic clock runs on. The session is restored from the killed driver's outbox file."""
    assert FAKETIME is not None, "libfaketime is missing: run scripts/system-deps"
    pi_clock = tmp_path / "pi-clock"
    pi_clock.write_text("+0\n")
    env = {
        "LD_PRELOAD": str(FAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(pi_clock),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    driver = DriverProcess(write_config(tmp_path, ingest.url, laser.port), env=env)
    try:
        driver.start()
        wait_until(lambda: ingest.stored(EventKind.HEARTBEAT), timeout=15)
        before = datetime.now(UTC)
        laser.stream("M4 S800\nG1 X200 F1200\n")  # 10 s
        wait_until(lambda: started(ingest) == 1)
        driver.kill()
        pi_clock.write_text("@1970-01-01 00:00:30\n")  # back, before NTP
        driver.start()
        wait_until(lambda: any(e.device_time.year == 1970 for e in progress(ingest)), timeout=15)
        pi_clock.write_text("+0\n")  # NTP answers while the laser runs
        wait_until(lambda: ingest.ended(), timeout=20)
    finally:
        driver.stop()
    assert once_each(ingest, 1) == [Outcome.DONE]
    (begin,) = ingest.stored(EventKind.SESSION_STARTED)
    (end,) = ingest.ended()
    assert before <= begin.device_time <= end.device_time <= datetime.now(UTC)
    assert end.readings.active_seconds is not None
    assert 1.0 <= end.readings.active_seconds <= 11.0
    log = (tmp_path / "driver.log").read_text()
    assert "session_clock_moved" in log
    assert "wall_clock_jumped" in log


def progress(peer: IngestPeer) -> list[Event]:
    return peer.stored(EventKind.SESSION_PROGRESS)
