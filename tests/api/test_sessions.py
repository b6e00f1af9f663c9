"""The usage-session summary is a pure function of the set of events: order and repeats never
change it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fabdesk.usage.sessions import SessionEvent, summarise
from fabdesk.wire import EventKind, Outcome

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def ev(kind: EventKind, minute: float, *, offset_s: float = 0, **values: object) -> SessionEvent:
    at = T0 + timedelta(minutes=minute)
    return SessionEvent(
        uuid=uuid.uuid4(),
        kind=kind,
        device_time=at,
        server_time=at + timedelta(seconds=offset_s),
        **values,  # type: ignore[arg-type]
    )


def test_a_whole_session() -> None:
    totals = summarise(
        [
            ev(EventKind.SESSION_STARTED, 0, job_name="box.svg"),
            ev(EventKind.SESSION_PROGRESS, 5, active_seconds=240.0, material_g=2.0),
            ev(
                EventKind.SESSION_ENDED,
                10,
                active_seconds=500.0,
                material_g=4.5,
                outcome=Outcome.CANCELLED,
            ),
        ]
    )
    assert totals.started_at == T0
    assert totals.ended_at == T0 + timedelta(minutes=10)
    assert totals.active_seconds == 500.0
    assert totals.material_g == 4.5
    assert totals.job_name == "box.svg"
    assert totals.outcome is Outcome.CANCELLED
    assert totals.finished


def test_an_end_without_its_start_starts_at_least_active_seconds_before_the_end() -> None:
    totals = summarise([ev(EventKind.SESSION_ENDED, 30, active_seconds=600.0)])
    assert totals.started_at == T0 + timedelta(minutes=20)
    assert totals.outcome is Outcome.DONE
    assert totals.finished


def test_a_session_without_end_is_not_finished() -> None:
    totals = summarise([ev(EventKind.SESSION_PROGRESS, 3, active_seconds=100.0)])
    assert not totals.finished
    assert totals.ended_at is None
    assert totals.active_seconds == 100.0


def test_device_and_server_times_are_both_kept() -> None:
    totals = summarise(
        [
            ev(EventKind.SESSION_STARTED, 0, offset_s=3600),
            ev(EventKind.SESSION_ENDED, 10, offset_s=3600, active_seconds=60.0),
        ]
    )
    assert totals.device_started_at == T0
    assert totals.started_at == T0 + timedelta(hours=1)
    assert totals.device_ended_at == T0 + timedelta(minutes=10)


def test_an_end_is_never_before_its_start() -> None:
    totals = summarise(
        [
            ev(EventKind.SESSION_STARTED, 0, offset_s=600),
            ev(EventKind.SESSION_ENDED, 1, offset_s=0),
        ]
    )
    assert totals.ended_at is not None
    assert totals.started_at is not None
    assert totals.ended_at >= totals.started_at


def test_no_events_is_a_bug() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        summarise([])


kinds = st.sampled_from(list(EventKind))
events = st.lists(
    st.builds(
        ev,
        kinds,
        st.floats(min_value=0, max_value=600, allow_nan=False),
        active_seconds=st.none() | st.floats(min_value=0, max_value=36_000, allow_nan=False),
        material_g=st.none() | st.floats(min_value=0, max_value=1000, allow_nan=False),
        job_name=st.none() | st.sampled_from(["a", "b", "c"]),
        outcome=st.none() | st.sampled_from(list(Outcome)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(events=events, data=st.data())
def test_order_and_repeats_never_change_the_session(
    events: list[SessionEvent], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(events))
    repeated = shuffled + data.draw(st.lists(st.sampled_from(events), max_size=5))
    assert summarise(repeated) == summarise(events)
