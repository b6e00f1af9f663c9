"""Ingest as a service (no HTTP): events stored once, sessions rebuilt, refusals write nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from fabdesk.db import Engine, session_scope, write_session
from fabdesk.errors import AccessDenied, InvalidValue
from fabdesk.models import IngestedEvent, MachineStatus, UsageSession
from fabdesk.usage.devices import AuthenticatedDevice, authenticate
from fabdesk.usage.heartbeats import machine_statuses, silent_machines
from fabdesk.usage.ingest import IngestResult, ingest_batch
from fabdesk.wire import Event, EventBatch, EventKind, MachineState, Outcome
from tests.api.conftest import DeviceToken
from tests.api.events import CLOCK_TOLERANCE, event, job

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def who(engine: Engine, device: DeviceToken) -> AuthenticatedDevice:
    with session_scope(engine) as session:
        return authenticate(session, device.token)


def ingest(
    engine: Engine,
    device: AuthenticatedDevice,
    events: list[Event],
    *,
    now: datetime = NOW,
    sent_at: datetime | None = None,
) -> IngestResult:
    with write_session(engine) as session:
        return ingest_batch(
            session,
            device,
            EventBatch(events=events, sent_at=sent_at),
            now=now,
            clock_tolerance=CLOCK_TOLERANCE,
        )


def count(session: Session, model: type[object]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def sessions(engine: Engine) -> list[UsageSession]:
    with Session(engine) as session:
        return list(session.exec(select(UsageSession)))


def test_a_job_becomes_one_finished_session(api_engine: Engine, device: DeviceToken) -> None:
    me = who(api_engine, device)
    session_id, events = job(NOW - timedelta(minutes=30), minutes=10)
    result = ingest(api_engine, me, events)
    assert sorted(result.accepted) == sorted(e.id for e in events)
    assert result.duplicates == []
    [usage] = sessions(api_engine)
    assert usage.uuid == session_id
    assert usage.equipment_id == me.equipment_id
    assert usage.active_seconds == 600.0
    assert usage.material_g == 5.0
    assert usage.job_name == "box.svg"
    assert usage.outcome is Outcome.DONE
    assert result.finished_session_ids == [usage.id]


def test_a_repeated_batch_is_acknowledged_and_changes_nothing(
    api_engine: Engine, device: DeviceToken
) -> None:
    me = who(api_engine, device)
    _, events = job(NOW - timedelta(minutes=30))
    first = ingest(api_engine, me, events)
    again = ingest(api_engine, me, events)
    assert again.accepted == []
    assert sorted(again.duplicates) == sorted(first.accepted)
    assert again.finished_session_ids == []
    with Session(api_engine) as session:
        assert count(session, IngestedEvent) == len(events)
        assert count(session, UsageSession) == 1


def test_events_out_of_order_across_batches_give_the_same_session(
    api_engine: Engine, device: DeviceToken
) -> None:
    me = who(api_engine, device)
    _, events = job(NOW - timedelta(minutes=30), minutes=12)
    end, start, middle = events[-1:], events[:1], events[1:-1]
    finished_ids = []
    for part in (end, middle, start):
        finished_ids += ingest(api_engine, me, part).finished_session_ids
    [usage] = sessions(api_engine)
    assert usage.started_at == events[0].device_time
    assert usage.active_seconds == 720.0
    assert usage.job_name == "box.svg"
    # Finished by the first batch (an end without its start), listed once in all.
    assert finished_ids == [usage.id]


def test_an_end_without_its_start(api_engine: Engine, device: DeviceToken) -> None:
    me = who(api_engine, device)
    end = event(
        EventKind.SESSION_ENDED, NOW - timedelta(minutes=1), uuid.uuid4(), active_seconds=300.0
    )
    result = ingest(api_engine, me, [end])
    [usage] = sessions(api_engine)
    assert usage.started_at == end.device_time - timedelta(seconds=300)
    assert usage.outcome is Outcome.DONE
    assert result.finished_session_ids == [usage.id]


def test_a_device_clock_off_by_an_hour_is_corrected_and_kept(
    api_engine: Engine, device: DeviceToken
) -> None:
    me = who(api_engine, device)
    behind = timedelta(hours=1)
    device_now = NOW - behind
    _, events = job(device_now - timedelta(minutes=20), minutes=10)
    result = ingest(api_engine, me, events, sent_at=device_now)
    assert result.clock_offset == behind
    [usage] = sessions(api_engine)
    assert usage.device_started_at == events[0].device_time
    assert usage.started_at == events[0].device_time + behind


def test_a_clock_ahead_is_moved_back_even_without_sent_at(
    api_engine: Engine, device: DeviceToken
) -> None:
    me = who(api_engine, device)
    ahead = event(EventKind.HEARTBEAT, NOW + timedelta(minutes=7))
    result = ingest(api_engine, me, [ahead])
    assert result.clock_offset == -timedelta(minutes=7)
    with Session(api_engine) as session:
        stored = session.get(IngestedEvent, ahead.id)
        assert stored is not None
        assert stored.server_time == NOW
        assert stored.device_time == ahead.device_time


def test_a_late_batch_of_old_events_is_not_moved(api_engine: Engine, device: DeviceToken) -> None:
    me = who(api_engine, device)
    _, events = job(NOW - timedelta(hours=5))
    assert ingest(api_engine, me, events).clock_offset == timedelta(0)


def test_session_events_need_a_session_and_nothing_is_written(
    api_engine: Engine, device: DeviceToken
) -> None:
    me = who(api_engine, device)
    good = event(EventKind.HEARTBEAT, NOW)
    bad = event(EventKind.SESSION_PROGRESS, NOW, None, active_seconds=3.0)
    with pytest.raises(InvalidValue) as raised:
        ingest(api_engine, me, [good, bad])
    assert raised.value.code == "session_id_missing"
    with Session(api_engine) as session:
        assert count(session, IngestedEvent) == 0
        assert count(session, MachineStatus) == 0


def test_an_unknown_wire_version_is_refused(api_engine: Engine, device: DeviceToken) -> None:
    me = who(api_engine, device)
    with write_session(api_engine) as session, pytest.raises(InvalidValue) as raised:
        ingest_batch(
            session,
            me,
            EventBatch(wire_version=99, events=[event(EventKind.HEARTBEAT, NOW)]),
            now=NOW,
            clock_tolerance=CLOCK_TOLERANCE,
        )
    assert raised.value.code == "wire_version_unsupported"


def test_another_machines_session_is_refused_and_nothing_is_written(
    api_engine: Engine, device: DeviceToken, other_device: DeviceToken
) -> None:
    mine, theirs = who(api_engine, device), who(api_engine, other_device)
    _, events = job(NOW - timedelta(minutes=30))
    ingest(api_engine, theirs, events[:1])
    with pytest.raises(AccessDenied) as raised:
        ingest(api_engine, mine, [event(EventKind.HEARTBEAT, NOW), *events[1:]])
    assert raised.value.code == "session_of_another_machine"
    with Session(api_engine) as session:
        assert count(session, IngestedEvent) == 1
        assert session.get(MachineStatus, mine.equipment_id) is None


def test_another_machines_event_is_refused(
    api_engine: Engine, device: DeviceToken, other_device: DeviceToken
) -> None:
    mine, theirs = who(api_engine, device), who(api_engine, other_device)
    beat = event(EventKind.HEARTBEAT, NOW)
    ingest(api_engine, theirs, [beat])
    with pytest.raises(AccessDenied) as raised:
        ingest(api_engine, mine, [beat])
    assert raised.value.code == "event_of_another_machine"


def test_heartbeats_keep_the_newest_state_backlog_and_fault(
    api_engine: Engine, device: DeviceToken
) -> None:
    me = who(api_engine, device)
    ingest(
        api_engine,
        me,
        [
            event(EventKind.HEARTBEAT, NOW - timedelta(minutes=2), state=MachineState.RUNNING),
            event(EventKind.FAULT, NOW - timedelta(minutes=1), detail="ALARM:1"),
            event(EventKind.HEARTBEAT, NOW, backlog=12, state=MachineState.ALARM),
        ],
    )
    # A late batch of older events never overwrites the newer state.
    ingest(
        api_engine,
        me,
        [event(EventKind.HEARTBEAT, NOW - timedelta(minutes=5), state=MachineState.IDLE)],
        now=NOW + timedelta(seconds=30),
    )
    with Session(api_engine) as session:
        [view] = machine_statuses(session)
        assert view.equipment_tag == device.equipment_tag
        assert view.state is MachineState.ALARM
        assert view.outbox_backlog == 12
        assert view.last_fault_detail == "ALARM:1"
        assert view.last_seen_at == NOW + timedelta(seconds=30)
        assert silent_machines(session, now=NOW + timedelta(minutes=10), after=timedelta(minutes=5))
        assert not silent_machines(
            session, now=NOW + timedelta(minutes=1), after=timedelta(minutes=5)
        )


def test_a_session_starting_implies_running(api_engine: Engine, device: DeviceToken) -> None:
    me = who(api_engine, device)
    _, events = job(NOW - timedelta(minutes=30))
    ingest(api_engine, me, events[:2])
    with Session(api_engine) as session:
        assert machine_statuses(session)[0].state is MachineState.RUNNING
