"""End to end (issue 15): who pays for a use of a machine, told by the REAL `fabdesk-driver`
process (a simulated GRBL laser on a pty) to the real server (uvicorn; SQLite and PostgreSQL).

Bookings are made through the services, relative to now: the driver dates its events with the
machine's own clock, which is the real one (or, for the Pi that boots in 1970, libfaketime's).
tests/api/test_attribution.py proves the same rules with hand-made wire batches; here the
batches are the driver's own.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, select

from drivers.outbox import Outbox
from drivers.uplink import Outcome as SendOutcome
from drivers.uplink import Uplink, make_client
from drivers.wire import Event, EventKind, Readings
from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import (
    Booking,
    BookingState,
    Equipment,
    EquipmentCategory,
    IngestedEvent,
    LedgerTransaction,
    MachineStatus,
    Maker,
    MakerSuspension,
    TransactionKind,
    UsageCharge,
    UsageSession,
    id_of,
)
from fabdesk.settings import Settings
from hardware.simulators.grbl_laser import GrblLaser
from scheduling.jobs import JobContext, release_no_shows
from scheduling.notifier import OutboxNotifier
from tests.api.conftest import ADMIN, DeviceToken, issue_manager_token
from tests.api.test_attribution import book_for, maker_certified
from tests.drivers import test_badges_end_to_end
from tests.drivers.conftest import wait_until
from tests.drivers.test_daemon_faults import BIN, FAKETIME, DriverProcess, write_config
from tests.drivers.test_end_to_end import Server

pytestmark = pytest.mark.slow

server = test_badges_end_to_end.server
equipment_id = test_badges_end_to_end.equipment_id
"""The device's machine, its lab open round the clock (bookings are made relative to now)."""


@dataclass
class Lab:
    engine: Engine
    equipment_id: int
    makers: dict[str, Maker] = field(default_factory=dict)

    def book(self, who: str, start: datetime) -> int:
        """`who` books the machine for an hour from `start`."""
        return book_for(self.engine, self.makers[who], self.equipment_id, start, hours=1)

    def booking(self, booking_id: int) -> Booking:
        with session_scope(self.engine) as session:
            found = session.get(Booking, booking_id)
            assert found is not None
            return found

    def usages(self) -> list[UsageSession]:
        with session_scope(self.engine) as session:
            return list(
                session.exec(
                    select(UsageSession)
                    .where(UsageSession.equipment_id == self.equipment_id)
                    .order_by(col(UsageSession.id))
                )
            )

    def finished(self, count: int) -> list[UsageSession]:
        """Wait until the driver told the server of `count` sessions, each ended."""

        def done() -> bool:
            found = self.usages()
            return len(found) == count and all(u.outcome is not None for u in found)

        wait_until(done, timeout=20)
        return self.usages()

    def charges(self, usage: UsageSession) -> list[UsageCharge]:
        with session_scope(self.engine) as session:
            return list(
                session.exec(
                    select(UsageCharge)
                    .where(UsageCharge.usage_session_id == usage.id)
                    .order_by(col(UsageCharge.revision))
                )
            )

    def maker_id(self, who: str) -> int:
        return id_of(self.makers[who])


@pytest.fixture
def lab(api_engine: Engine, equipment_id: int) -> Lab:
    with write_session(api_engine) as session:
        machine = session.get(Equipment, equipment_id)
        assert machine is not None
        category = session.get(EquipmentCategory, machine.category_id)
        assert category is not None
        makers = {name: maker_certified(session, f"T-{name}", category.code) for name in ("A", "B")}
        for maker in makers.values():
            session.expunge(maker)
    return Lab(api_engine, equipment_id, makers)


def heard_from(engine: Engine) -> bool:
    with session_scope(engine) as session:
        return session.exec(select(IngestedEvent.uuid)).first() is not None


@pytest.fixture
def driver(
    tmp_path: Path, server: Server, laser: GrblLaser, device: DeviceToken
) -> Iterator[DriverProcess]:
    """The real driver of the laser, not started yet."""
    process = DriverProcess(write_config(tmp_path, server.url, laser.port, token=device.token))
    yield process
    process.stop()


def started(driver: DriverProcess, engine: Engine) -> None:
    driver.start()
    wait_until(lambda: heard_from(engine), timeout=20)  # its first heartbeat


def run_job(laser: GrblLaser, gcode: str = "M4 S800\nG1 X20 F2400\n") -> None:
    laser.stream(gcode)
    wait_until(lambda: laser.state == "Run", timeout=5)
    wait_until(lambda: laser.state == "Idle", timeout=15)


def test_back_to_back_bookings_each_job_is_charged_to_its_own_maker(
    driver: DriverProcess, laser: GrblLaser, lab: Lab
) -> None:
    started(driver, lab.engine)
    # A books the hour that ends in a few seconds, B the next one (16:00-17:00, 17:00-18:00).
    change = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
    first = lab.book("A", change - timedelta(hours=1))
    second = lab.book("B", change)
    run_job(laser)  # in the last seconds of A's slot, in B's check-in window
    (job_a,) = lab.finished(1)
    assert job_a.ended_at is not None
    assert job_a.ended_at < change, "the job ran in A's slot"
    wait_until(lambda: datetime.now(UTC) > change + timedelta(seconds=0.5), timeout=10)
    run_job(laser, "M4 S800\nG1 X0 F2400\n")  # back home: a move, in B's slot
    job_a, job_b = lab.finished(2)

    assert (job_a.booking_id, job_a.maker_id) == (first, lab.maker_id("A"))
    assert (job_b.booking_id, job_b.maker_id) == (second, lab.maker_id("B"))
    assert [c.maker_id for c in lab.charges(job_a)] == [lab.maker_id("A")]
    assert [c.maker_id for c in lab.charges(job_b)] == [lab.maker_id("B")]
    assert lab.booking(first).checked_in_at == job_a.started_at
    assert lab.booking(second).checked_in_at == job_b.started_at


def fabdesk_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real `fabdesk` command on the test's database."""
    env = {**os.environ, "FABDESK_DATABASE__URL": url, "COLUMNS": "200"}
    env.pop("FABDESK_CONFIG", None)
    return subprocess.run(
        [str(BIN / "fabdesk"), *args], capture_output=True, text=True, timeout=60, env=env
    )


def test_a_job_without_a_booking_waits_for_a_manager_then_is_charged_once(
    driver: DriverProcess,
    laser: GrblLaser,
    lab: Lab,
    server: Server,
    seeded_url: str,
) -> None:
    token = issue_manager_token(lab.engine, ADMIN)  # before the driver writes (SQLite's lock)
    started(driver, lab.engine)
    run_job(laser)
    (usage,) = lab.finished(1)
    assert usage.maker_id is None
    assert usage.booking_id is None
    assert lab.charges(usage) == []
    manager = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=manager, timeout=30) as api:
        listed = api.get("/api/v1/usage/unattributed")
        assert listed.status_code == 200, listed.text
        assert [row["uuid"] for row in listed.json()] == [str(usage.uuid)]

        assigned = fabdesk_cli(
            seeded_url, "usage", "assign", str(usage.id), "--maker", "T-A", "--as", ADMIN
        )
        assert assigned.returncode == 0, assigned.stdout + assigned.stderr
        assert "charged (transaction" in assigned.stdout
        again = api.post(f"/api/v1/usage/{usage.id}/assign", json={"maker": "T-A"})
        assert again.status_code == 200, again.text
        assert again.json()["charge_transaction_id"] is None, "assigned twice: one charge"
        assert api.get("/api/v1/usage/unattributed").json() == []

    (charge,) = lab.charges(usage)
    assert charge.maker_id == lab.maker_id("A")
    with session_scope(lab.engine) as session:
        keys = session.exec(
            select(LedgerTransaction.key).where(
                col(LedgerTransaction.key).contains(str(usage.uuid))
            )
        ).all()
    assert len(keys) == 1


def clock_of(engine: Engine, equipment: int) -> MachineStatus:
    with session_scope(engine) as session:
        status = session.get(MachineStatus, equipment)
        assert status is not None
        return status


def test_a_pi_clock_at_1970_that_jumps_mid_session_is_charged_in_the_right_month(
    tmp_path: Path,
    server: Server,
    laser: GrblLaser,
    device: DeviceToken,
    lab: Lab,
    seeded_url: str,
) -> None:
    """The Pi boots in 1970 (no clock battery); NTP sets its clock while a job runs.

    libfaketime moves the driver's wall clock only (FAKETIME_DONT_FAKE_MONOTONIC: the monotonic
    clock runs on, as on a Pi), read from a file the test rewrites to make NTP's jump. The
    driver's code is the production one: it reads `datetime.now(UTC)` as on the Pi.
    """
    # No skip when it is missing: `make test` installs it (scripts/system-deps).
    assert FAKETIME is not None, "libfaketime is missing: run scripts/system-deps"
    pi_clock = tmp_path / "pi-clock"
    pi_clock.write_text("@1970-01-01 00:01:00\n")
    lab.book("A", datetime.now(UTC) - timedelta(minutes=10))
    env = {
        "LD_PRELOAD": str(FAKETIME),
        "FAKETIME_TIMESTAMP_FILE": str(pi_clock),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    config = write_config(tmp_path, server.url, laser.port, token=device.token)
    driver = DriverProcess(config, env=env)
    try:
        started(driver, lab.engine)
        wait_until(lambda: clock_of(lab.engine, lab.equipment_id).clock_suspect, timeout=10)
        shown = fabdesk_cli(seeded_url, "status")
        assert shown.returncode == 0, shown.stdout + shown.stderr
        row = next(line for line in shown.stdout.splitlines() if device.equipment_tag in line)
        assert "suspect" in row

        before = datetime.now(UTC)
        laser.stream("M4 S800\nG1 X60 F1200\n")  # 3 s
        wait_until(lambda: lab.usages(), timeout=10)  # its start, dated 1970, reached the server
        pi_clock.write_text("+0\n")  # NTP answers: the Pi's clock is right from now on
        wait_until(lambda: laser.state == "Idle", timeout=15)
        (usage,) = lab.finished(1)
    finally:
        driver.stop()
    assert usage.device_started_at is not None
    assert usage.device_started_at.year == 1970, "the raw device time is kept"
    assert usage.started_at is not None
    assert usage.ended_at is not None
    assert before - timedelta(seconds=1) <= usage.started_at <= usage.ended_at
    assert usage.ended_at <= datetime.now(UTC)
    assert 2.0 <= usage.active_seconds <= 4.0
    assert usage.maker_id == lab.maker_id("A")
    (charge,) = lab.charges(usage)
    assert charge.month == f"{before:%Y-%m}"
    assert charge.occurred_on == usage.started_at.date()
    wait_until(lambda: not clock_of(lab.engine, lab.equipment_id).clock_suspect, timeout=10)


def test_the_real_driver_never_sends_progress_after_the_end_late_progress_is_repriced_once(
    driver: DriverProcess,
    laser: GrblLaser,
    lab: Lab,
    server: Server,
    device: DeviceToken,
    tmp_path: Path,
) -> None:
    lab.book("A", datetime.now(UTC) - timedelta(minutes=10))
    started(driver, lab.engine)
    run_job(laser, "M4 S800\nG1 X40 F1200\n")  # 2 s: progress every 0.3 s
    (usage,) = lab.finished(1)
    with session_scope(lab.engine) as session:
        told = session.exec(
            select(IngestedEvent).where(IngestedEvent.session_uuid == usage.uuid)
        ).all()
    (end,) = [e for e in told if e.kind is EventKind.SESSION_ENDED]
    progress = [e for e in told if e.kind is EventKind.SESSION_PROGRESS]
    assert progress, "the driver reported progress while the job ran"
    # The driver's outbox sends in the order it wrote, and the tracker writes nothing of a
    # session after its end: no progress of it ever reaches the server after the end.
    assert all(e.received_at <= end.received_at for e in progress)
    assert all(e.device_time <= end.device_time for e in progress)
    driver.stop()
    (first,) = lab.charges(usage)
    assert first.maker_id == lab.maker_id("A")

    # As close as it gets: progress of that session written to a driver's outbox after the
    # end (say an outbox restored from another SD card) and sent by the driver's own uplink.
    assert usage.started_at is not None
    assert usage.ended_at is not None
    elapsed = (usage.ended_at - usage.started_at).total_seconds()
    late = [
        Event(
            id=uuid.uuid4(),
            kind=EventKind.SESSION_PROGRESS,
            session_id=usage.uuid,
            device_time=usage.started_at + timedelta(seconds=elapsed * share),
            readings=Readings(active_seconds=round(elapsed * share + 600, 3)),
        )
        for share in (0.5, 1.0)
    ]
    for _ in range(2):  # the second time, an outbox that sends the same events again
        with Outbox(tmp_path / f"late-{uuid.uuid4().hex}.db") as outbox:
            outbox.append(late)
            with make_client(server.url, device.token, 10) as client:
                assert Uplink(client, outbox).send_once().outcome is SendOutcome.SENT
            assert outbox.backlog() == 0

    charges = lab.charges(usage)
    assert [c.revision for c in charges] == [1, 2], "re-priced once"
    (settled,) = lab.usages()
    assert settled.active_seconds == pytest.approx(elapsed + 600, abs=0.01)
    assert charges[-1].active_seconds == settled.active_seconds
    assert charges[-1].billed_minutes > first.billed_minutes
    assert charges[-1].maker_id == lab.maker_id("A")
    with session_scope(lab.engine) as session:
        reversals = session.exec(
            select(LedgerTransaction).where(LedgerTransaction.kind == TransactionKind.REVERSAL)
        ).all()
    assert [r.reverses_id for r in reversals] == [first.transaction_id]


def test_a_job_started_early_into_a_booking_checks_it_in_and_is_no_no_show(
    driver: DriverProcess, laser: GrblLaser, lab: Lab, api_settings: Settings
) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=5)
    booked = lab.book("A", start)
    started(driver, lab.engine)
    run_job(laser)  # a few minutes before the booking, in its check-in window
    (usage,) = lab.finished(1)
    assert usage.started_at is not None
    assert usage.started_at < start
    assert (usage.booking_id, usage.maker_id) == (booked, lab.maker_id("A"))
    assert [c.maker_id for c in lab.charges(usage)] == [lab.maker_id("A")]
    assert lab.booking(booked).state is BookingState.CHECKED_IN
    assert lab.booking(booked).checked_in_at == usage.started_at

    context = JobContext(
        settings=api_settings,
        engine=lab.engine,
        notifier=OutboxNotifier(),
        clock=lambda: start + timedelta(minutes=30),
        runner="test",
        jobs={},
    )
    with write_session(lab.engine) as session:  # the scheduler's job, well past the grace time
        release_no_shows(session, context, start + timedelta(minutes=30))
    after = lab.booking(booked)
    assert after.state is BookingState.CHECKED_IN, "never a no-show"
    with session_scope(lab.engine) as session:
        assert session.exec(select(MakerSuspension)).all() == []
        strikes = session.exec(
            select(Booking).where(
                Booking.maker_id == lab.maker_id("A"), Booking.state == BookingState.NO_SHOW
            )
        ).all()
    assert strikes == []
