"""Session rules (pure): motion without work starts nothing; a machine's own record ends a
session left open while the driver was away."""

from __future__ import annotations

from datetime import timedelta

from drivers.sessions import Observation, OpenSession, SessionTracker
from fabdesk.wire import EventKind, MachineState, Outcome
from tests.drivers.test_sessions import IDLE, RUN, T0, at, feed, ids, kinds

KEY = "local:cube.gcode"


def left_open() -> OpenSession:
    """A print's session, as a driver stopped 10 s into it left it in the outbox."""
    return OpenSession(id=ids()(), started_at=T0, last_time=T0 + timedelta(seconds=10), job_key=KEY)


def record(
    seconds: float, *, ended: float, key: str = KEY, outcome: Outcome = Outcome.DONE
) -> Observation:
    """What the OctoPrint adapter says at start: the file's last print, ended at T0 + `ended`."""
    return at(
        300,
        IDLE,
        outcome=outcome,
        job_key=key,
        active_seconds=seconds,
        material_mm=480.0,
        ended_at=T0 + timedelta(seconds=ended),
    )


def test_moving_without_working_starts_no_session_but_continues_one() -> None:
    tracker = SessionTracker(ids(), idle_grace_seconds=1)
    framing = [at(i * 0.2, RUN, can_start=False) for i in range(10)]
    assert feed(tracker, [*framing, at(2.5, IDLE)]) == []
    cut, rapid = {"active": True}, {"can_start": False}
    job = [at(3, RUN, **cut), at(3.5, RUN, **rapid), at(4, RUN, **cut), at(4.5, IDLE)]
    events = feed(tracker, [*job, at(5.6, IDLE)])
    assert kinds(events) == [EventKind.SESSION_STARTED, EventKind.SESSION_ENDED]
    assert events[0].device_time == T0 + timedelta(seconds=3)
    assert events[1].readings.active_seconds == 1.0  # 3-3.5 and 4-4.5: not the rapid between


def test_a_print_that_ended_while_away_ends_with_the_machines_record() -> None:
    tracker = SessionTracker(ids(), session=left_open())
    (end,) = tracker.observe(record(118.5, ended=120))
    assert end.kind is EventKind.SESSION_ENDED
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.active_seconds == 118.5
    assert end.readings.material_mm == 480.0
    assert end.device_time == T0 + timedelta(seconds=120)
    assert tracker.session is None


def test_an_older_record_or_another_file_leaves_the_session_interrupted() -> None:
    for stale in (record(50, ended=-5), record(118.5, ended=120, key="local:other.gcode")):
        tracker = SessionTracker(ids(), session=left_open())
        (end,) = tracker.observe(stale)
        assert end.readings.outcome is Outcome.INTERRUPTED
        assert end.device_time == T0 + timedelta(seconds=10)


def test_a_record_without_an_open_session_is_nothing() -> None:
    tracker = SessionTracker(ids())
    assert tracker.observe(record(118.5, ended=120)) == []
    assert tracker.state is MachineState.IDLE
