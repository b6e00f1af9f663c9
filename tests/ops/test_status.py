"""`fabdesk status`: drivers online and offline, their backlog, the scheduler's runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from fabdesk.cli import app
from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import JobRun
from fabdesk.ops.status import installation_status
from fabdesk.usage.devices import authenticate, register_device
from fabdesk.usage.ingest import ingest_batch
from fabdesk.wire import EventBatch, EventKind, MachineState
from inventory.seed import seed
from tests.api.events import CLOCK_TOLERANCE, event

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_status_tells_online_offline_backlog_and_leader(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed(session, today=NOW.date())
        token = register_device(session, equipment_tag="CF1-00001-R", name="pi", now=NOW).token
        register_device(session, equipment_tag="CF1-00002-P", name="silent pi", now=NOW)
        session.add(JobRun(job="release_no_shows", slot=NOW, started_at=NOW, runner="host:42"))
    with write_session(engine) as session:
        heartbeat = event(EventKind.HEARTBEAT, NOW, backlog=7, state=MachineState.RUNNING)
        ingest_batch(
            session,
            authenticate(session, token),
            EventBatch(events=[heartbeat]),
            now=NOW,
            clock_tolerance=CLOCK_TOLERANCE,
        )

    fifteen = timedelta(minutes=15)
    status = installation_status(engine, now=NOW + timedelta(minutes=1), offline_after=fifteen)
    assert status.leader == "host:42"
    assert [m.view.equipment_tag for m in status.machines] == ["CF1-00001-R"]
    assert status.machines[0].online
    assert status.machines[0].view.state is MachineState.RUNNING
    assert status.outbox_backlog == 7
    assert status.schema_revisions
    assert status.never_heard == ["CF1-00002-P"]  # registered, never called: shown, not hidden
    assert (
        installation_status(engine, now=NOW + timedelta(minutes=10), offline_after=fifteen)
        .machines[0]
        .online
    )

    later = installation_status(engine, now=NOW + timedelta(hours=1), offline_after=fifteen)
    assert not later.machines[0].online
    assert later.leader is None


def test_status_shows_a_clock_that_was_wrong_as_suspect_until_it_is_right(
    engine: Engine, tmp_path: Path
) -> None:
    with session_scope(engine) as session:
        seed(session, today=NOW.date())
        token = register_device(session, equipment_tag="CF1-00001-R", name="pi", now=NOW).token

    def heartbeat(device_time: datetime, sent_at: datetime, now: datetime) -> None:
        with write_session(engine) as session:
            ingest_batch(
                session,
                authenticate(session, token),
                EventBatch(events=[event(EventKind.HEARTBEAT, device_time)], sent_at=sent_at),
                now=now,
                clock_tolerance=CLOCK_TOLERANCE,
            )

    boot = datetime(1970, 1, 1, 0, 1, tzinfo=UTC)  # a Pi before NTP
    heartbeat(boot, boot, NOW)
    [line] = installation_status(engine, now=NOW, offline_after=timedelta(minutes=15)).machines
    assert line.view.clock_suspect
    config = tmp_path / "fabdesk.toml"
    config.write_text(f'[database]\nurl = "{engine.url.render_as_string(hide_password=False)}"\n')
    shown = CliRunner().invoke(app, ["--config", str(config), "status"], env={"COLUMNS": "200"})
    assert "suspect" in shown.output, shown.output
    later = NOW + timedelta(minutes=5)
    heartbeat(later, later, later)
    [line] = installation_status(engine, now=later, offline_after=timedelta(minutes=15)).machines
    assert not line.view.clock_suspect
