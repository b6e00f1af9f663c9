"""Session detection (pure): start once, end once, count only working time, survive restarts."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.sessions import Observation, OpenSession, SessionTracker
from drivers.wire import Event, EventKind, MachineState, Outcome

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RUN, IDLE, PAUSED = MachineState.RUNNING, MachineState.IDLE, MachineState.PAUSED


def ids() -> Callable[[], UUID]:
    counter = itertools.count(1)
    return lambda: UUID(int=next(counter))


def at(seconds: float, state: MachineState, **values: object) -> Observation:
    return Observation(time=T0 + timedelta(seconds=seconds), state=state, **values)  # type: ignore[arg-type]


def feed(tracker: SessionTracker, observations: list[Observation]) -> list[Event]:
    return [event for obs in observations for event in tracker.observe(obs)]


def kinds(events: list[Event]) -> list[EventKind]:
    return [e.kind for e in events]


def test_a_job_is_one_session_with_its_laser_on_time() -> None:
    tracker = SessionTracker(ids(), progress_seconds=3600)
    events = feed(
        tracker,
        [at(0, IDLE)]
        + [at(1 + i * 0.2, RUN, active=i % 2 == 0) for i in range(11)]  # 1 s .. 3 s, laser half on
        + [at(3.2, IDLE)],
    )
    assert kinds(events) == [EventKind.SESSION_STARTED, EventKind.SESSION_ENDED]
    started, ended = events
    assert started.session_id == ended.session_id
    assert started.device_time == T0 + timedelta(seconds=1)
    assert ended.device_time == T0 + timedelta(seconds=3.2)
    assert ended.readings.outcome is Outcome.DONE
    assert ended.readings.active_seconds == 1.2  # six 0.2 s intervals after a laser-on report
    assert tracker.session is None


def test_a_short_idle_within_the_grace_period_keeps_the_session() -> None:
    tracker = SessionTracker(ids(), idle_grace_seconds=5)
    events = feed(tracker, [at(0, RUN), at(1, IDLE), at(3, RUN), at(4, IDLE), at(8.9, IDLE)])
    assert kinds(events) == [EventKind.SESSION_STARTED]
    events = tracker.observe(at(9, IDLE))
    assert kinds(events) == [EventKind.SESSION_ENDED]
    assert events[0].device_time == T0 + timedelta(seconds=4)


def test_hold_and_door_are_recorded_and_not_counted() -> None:
    tracker = SessionTracker(ids(), progress_seconds=3600)
    events = feed(
        tracker,
        [
            at(0, RUN, active=True),
            at(1, PAUSED, detail="Door:1"),
            at(5, PAUSED, detail="Door:0"),
            at(6, RUN, active=True),
            at(7, IDLE),
        ],
    )
    assert kinds(events) == [
        EventKind.SESSION_STARTED,
        EventKind.SESSION_PROGRESS,
        EventKind.SESSION_PROGRESS,
        EventKind.SESSION_PROGRESS,
        EventKind.SESSION_ENDED,
    ]
    assert [e.readings.detail for e in events[1:3]] == ["Door:1", "Door:0"]
    assert events[-1].readings.active_seconds == 2.0


def test_an_alarm_is_a_fault_and_ends_the_job_as_failed() -> None:
    tracker = SessionTracker(ids())
    events = feed(
        tracker, [at(0, RUN, active=True), at(1, MachineState.ALARM, detail="ALARM:1"), at(2, IDLE)]
    )
    assert kinds(events) == [EventKind.SESSION_STARTED, EventKind.FAULT, EventKind.SESSION_ENDED]
    assert events[1].readings.detail == "ALARM:1"
    assert events[2].readings.outcome is Outcome.FAILED


def test_progress_reports_come_at_their_interval() -> None:
    tracker = SessionTracker(ids(), progress_seconds=10)
    events = feed(tracker, [at(i, RUN, active=True) for i in range(31)])
    assert Counter(kinds(events))[EventKind.SESSION_PROGRESS] == 3
    assert events[-1].readings.active_seconds == 30


def test_lost_contact_on_the_same_job_continues_without_counting_the_gap() -> None:
    tracker = SessionTracker(ids(), progress_seconds=3600)
    events = feed(tracker, [at(0, RUN, active=True), at(1, RUN, active=True)])
    events += tracker.lose_contact(T0 + timedelta(seconds=2))
    events += feed(tracker, [at(60, RUN, active=True), at(61, RUN, active=True), at(62, IDLE)])
    assert kinds(events) == [EventKind.SESSION_STARTED, EventKind.SESSION_ENDED]
    assert events[-1].readings.outcome is Outcome.DONE
    assert events[-1].readings.active_seconds == 3.0  # 0-1, 60-61, 61-62: not 1-60


def test_lost_contact_then_idle_is_interrupted_at_the_last_known_time() -> None:
    tracker = SessionTracker(ids())
    events = feed(tracker, [at(0, RUN, active=True), at(5, RUN, active=True)])
    events += tracker.lose_contact(T0 + timedelta(seconds=6))
    events += feed(tracker, [at(100, IDLE)])
    assert events[-1].kind is EventKind.SESSION_ENDED
    assert events[-1].readings.outcome is Outcome.INTERRUPTED
    assert events[-1].device_time == T0 + timedelta(seconds=5)


def test_a_restart_continues_the_same_job_or_closes_it_interrupted() -> None:
    first = SessionTracker(ids())
    started = feed(first, [at(0, RUN, active=True, job_key="a.gcode", progress=0.1)])
    saved = first.snapshot()
    assert saved is not None
    # Same file, further on: the same session goes on.
    again = SessionTracker(ids(), session=OpenSession.from_json(saved))
    events = feed(again, [at(30, RUN, active=True, job_key="a.gcode", progress=0.5)])
    events += feed(again, [at(31, IDLE, outcome=Outcome.DONE)])
    assert kinds(events) == [EventKind.SESSION_ENDED]
    assert events[0].session_id == started[0].session_id
    # Another file: the old session is closed as interrupted, a new one starts.
    other = SessionTracker(ids(), session=OpenSession.from_json(saved))
    events = feed(other, [at(30, RUN, active=True, job_key="b.gcode")])
    assert kinds(events) == [EventKind.SESSION_ENDED, EventKind.SESSION_STARTED]
    assert events[0].readings.outcome is Outcome.INTERRUPTED
    assert events[0].device_time == T0
    # The same file started over (progress went back): a new job too.
    reprint = SessionTracker(ids(), session=OpenSession.from_json(saved))
    events = feed(reprint, [at(30, RUN, active=True, job_key="a.gcode", progress=0.01)])
    assert kinds(events) == [EventKind.SESSION_ENDED, EventKind.SESSION_STARTED]


def test_contact_lost_too_long_closes_the_session() -> None:
    tracker = SessionTracker(ids(), lost_contact_seconds=60)
    events = feed(tracker, [at(0, RUN, active=True)])
    events += tracker.lose_contact(T0 + timedelta(seconds=1))
    events += feed(tracker, [at(30, MachineState.OFFLINE)])
    assert kinds(events) == [EventKind.SESSION_STARTED]
    events = feed(tracker, [at(61, MachineState.OFFLINE)])
    assert kinds(events) == [EventKind.SESSION_ENDED]
    assert events[0].readings.outcome is Outcome.INTERRUPTED


step = st.tuples(
    st.sampled_from(
        [RUN, RUN, IDLE, PAUSED, MachineState.ALARM, MachineState.OFFLINE, MachineState.UNKNOWN]
    ),
    st.booleans(),
    st.sampled_from([None, "a", "b"]),
    st.sampled_from([None, None, None, Outcome.DONE, Outcome.CANCELLED]),
    st.floats(0.01, 30),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=60), st.floats(0, 10))
def test_any_history_gives_each_session_one_start_and_at_most_one_end(
    steps: list[tuple[MachineState, bool, str | None, Outcome | None, float, bool]], grace: float
) -> None:
    new_id = ids()
    tracker = SessionTracker(new_id, idle_grace_seconds=grace, progress_seconds=20)
    events: list[Event] = []
    clock = 0.0
    for state, active, job, outcome, gap, restart in steps:
        clock += gap
        if restart:  # the driver process dies and comes back with what the outbox kept
            saved = tracker.snapshot()
            session = OpenSession.from_json(saved) if saved else None
            tracker = SessionTracker(
                new_id, idle_grace_seconds=grace, progress_seconds=20, session=session
            )
        events += tracker.observe(at(clock, state, active=active, job_key=job, outcome=outcome))
    assert len({e.id for e in events}) == len(events)
    per_session: dict[UUID, list[Event]] = {}
    for event in events:
        if event.session_id is not None:
            per_session.setdefault(event.session_id, []).append(event)
    open_sessions = 0
    for session_events in per_session.values():
        count = Counter(kinds(session_events))
        assert count[EventKind.SESSION_STARTED] == 1
        assert count[EventKind.SESSION_ENDED] <= 1
        assert session_events[0].kind is EventKind.SESSION_STARTED
        if count[EventKind.SESSION_ENDED]:
            end = session_events[-1]
            assert end.kind is EventKind.SESSION_ENDED
            assert end.device_time >= session_events[0].device_time
            duration = (end.device_time - session_events[0].device_time).total_seconds()
            assert end.readings.active_seconds is not None
            assert end.readings.active_seconds <= duration + 1e-6
            assert end.readings.outcome is not None
        else:
            open_sessions += 1
    assert open_sessions == (1 if tracker.session else 0)


def test_long_texts_from_a_machine_are_cut_to_what_the_wire_takes() -> None:
    tracker = SessionTracker(ids())
    events = feed(
        tracker,
        [
            at(0, RUN, active=True, job_name="j" * 400),
            at(1, MachineState.ALARM, detail="Thermal runaway " * 100),
        ],
    )
    assert kinds(events) == [EventKind.SESSION_STARTED, EventKind.FAULT, EventKind.SESSION_ENDED]
    assert all(len(e.readings.detail or "") <= 500 for e in events)
    assert all(len(e.readings.job_name or "") <= 255 for e in events)


def test_a_wall_clock_jump_mid_job_is_neither_working_nor_idle_time() -> None:
    """NTP sets a Pi's clock from 1970 while the laser runs: one session, its laser-on time."""
    years = (datetime(2026, 3, 2, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    tracker = SessionTracker(ids(), idle_grace_seconds=1.0, max_gap_seconds=2.0)
    before = feed(tracker, [at(-years + i * 0.5, RUN, active=True) for i in range(5)])  # 2 s
    tracker.clock_jumped(years)  # the next poll comes 0.5 s later, 56 years later on the wall
    after = feed(
        tracker,
        [at(2.5 + i * 0.5, RUN, active=True) for i in range(3)] + [at(4.0, IDLE), at(5.0, IDLE)],
    )
    assert kinds(before + after) == [EventKind.SESSION_STARTED, EventKind.SESSION_ENDED]
    ended = after[-1]
    assert ended.device_time == T0 + timedelta(seconds=4.0)
    assert ended.readings.active_seconds == 4.0  # without the move: 2 s more, the capped gap
