"""The scheduler: jobs idempotent by slot, missed runs coalesced, one leader among processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import Session, col, select

from fabdesk.db import make_engine, session_scope
from fabdesk.models import BookingState, JobRun, Notification
from fabdesk.settings import DatabaseSettings, Settings
from scheduling import jobs
from scheduling.jobs import JobContext, JobSpec, SchedulerService, run_job
from scheduling.notifier import OutboxNotifier
from tests.scheduling.conftest import TOMORROW, World, local

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(predicate: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_jobs_do_the_work_once_per_slot(world: World, settings: Settings) -> None:
    booking = world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    clock_now = [local(TOMORROW, 8, 30)]
    service = SchedulerService(settings, world.engine, clock=lambda: clock_now[0])
    jobs._context = service.context
    try:
        run_job("send_reminders")
        run_job("send_reminders")
        clock_now[0] = local(TOMORROW, 8, 40)
        run_job("send_reminders")  # a new slot, but the reminder is written once
        clock_now[0] = local(TOMORROW, 10, 20)
        run_job("release_no_shows")
        run_job("unknown job")
    finally:
        jobs._context = None
    with session_scope(world.engine) as session:
        kinds = session.exec(select(Notification.kind)).all()
        runs = session.exec(select(JobRun.job)).all()
        stored = session.get(type(booking), booking.id)
    assert kinds == ["booking_reminder"]
    assert Counter(runs) == Counter({"send_reminders": 2, "release_no_shows": 1})
    assert stored is not None
    assert stored.state is BookingState.NO_SHOW


def test_missed_runs_are_coalesced_into_one(world: World, settings: Settings) -> None:
    runs: list[datetime] = []

    def tick(session: Session, context: JobContext, now: datetime) -> int:
        runs.append(now)
        return 1

    spec = JobSpec("tick", tick, every=timedelta(minutes=1))
    # The job was stored by an earlier leader and its next run is ten minutes overdue.
    store = SQLAlchemyJobStore(engine=world.engine, tablename="scheduler_jobs")
    store.start(BackgroundScheduler(timezone="Europe/Brussels"), "default")
    store.add_job(
        Job(
            store._scheduler,
            id="tick",
            func=run_job,
            args=["tick"],
            kwargs={},
            trigger=IntervalTrigger(seconds=60, timezone="Europe/Brussels"),
            executor="default",
            name="tick",
            misfire_grace_time=3600,
            coalesce=True,
            max_instances=1,
            next_run_time=datetime.now(UTC) - timedelta(minutes=10),
        )
    )
    fast = settings.model_copy(
        update={"scheduler": settings.scheduler.model_copy(update={"leader_poll_seconds": 0.1})}
    )
    service = SchedulerService(fast, world.engine, notifier_=OutboxNotifier(), jobs={"tick": spec})
    service.start()
    try:
        assert service.became_leader.wait(10)
        _wait_for(lambda: len(runs) >= 1)
        time.sleep(1.5)
    finally:
        service.shutdown()
    assert len(runs) == 1


def _spawn(url: str, out: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FABDESK_DATABASE__URL": url,
        "FABDESK_SCHEDULER__LEADER_POLL_SECONDS": "0.3",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tests.scheduling.scheduler_process", str(out)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _ticks(url: str) -> list[tuple[int, str]]:
    """The committed runs of `tick`: (pid, slot), in order."""
    engine = make_engine(DatabaseSettings(url=url))
    try:
        with session_scope(engine) as session:
            rows = session.exec(
                select(Notification.body, Notification.subject)
                .where(Notification.kind == "tick")
                .order_by(col(Notification.id))
            ).all()
    finally:
        engine.dispose()
    return [(int(pid), slot) for pid, slot in rows]


@pytest.mark.pg
@pytest.mark.slow
def test_two_schedulers_one_leader_takeover_without_running_twice(
    postgres_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "ticks.txt"
    first = _spawn(postgres_url, out)
    second: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(lambda: len(_ticks(postgres_url)) >= 1)
        second = _spawn(postgres_url, out)
        time.sleep(3)
        before = _ticks(postgres_url)
        assert {pid for pid, _ in before} == {first.pid}, "the follower ran a job"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        _wait_for(lambda: any(pid == second.pid for pid, _ in _ticks(postgres_url)))
        time.sleep(2)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(10)
    lines = _ticks(postgres_url)
    slots = [slot for _, slot in lines]
    assert len(slots) == len(set(slots)), "a slot ran twice"
    pids = [pid for pid, _ in lines]
    switch = pids.index(second.pid)
    assert set(pids[:switch]) == {first.pid}
    assert set(pids[switch:]) == {second.pid}
    assert slots == sorted(slots)
    engine = make_engine(DatabaseSettings(url=postgres_url))
    with session_scope(engine) as session:
        claimed = session.exec(select(JobRun.runner).where(JobRun.job == "tick")).all()
    engine.dispose()
    assert len(claimed) == len(lines)
