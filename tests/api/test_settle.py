"""Sessions settle (issue 15): however a session's events are split into batches and in whatever
order they arrive, the charge in force equals the session's final totals (re-priced by a reversal
and a new revision when late events change them), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from fabdesk.db import Engine, session_scope, write_session
from fabdesk.errors import NotFound
from fabdesk.models import LedgerTransaction, UsageCharge, UsageSession
from fabdesk.settings import Settings
from fabdesk.usage.devices import authenticate
from fabdesk.usage.follow_up import after_ingest
from fabdesk.usage.ingest import ingest_batch
from fabdesk.wire import Event, EventBatch, EventKind, Outcome, Readings
from inventory.makers import NewMaker, find_by_badge, register_maker
from tests.api.conftest import DeviceToken
from tests.api.events import CLOCK_TOLERANCE

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _events(badge: str, progress: int, end_has_totals: bool) -> list[Event]:
    run = uuid.uuid4()

    def at(minute: int, kind: EventKind, **readings: object) -> Event:
        return Event(
            id=uuid.uuid4(),
            kind=kind,
            session_id=run,
            device_time=START + timedelta(minutes=minute),
            readings=Readings(**readings),
            badge=badge if kind is EventKind.SESSION_STARTED else None,
        )

    events = [at(0, EventKind.SESSION_STARTED, job_name="cube.gcode")]
    events += [
        at(10 * k, EventKind.SESSION_PROGRESS, active_seconds=600.0 * k, material_g=3.0 * k)
        for k in range(1, progress + 1)
    ]
    final = {"active_seconds": 600.0 * progress, "material_g": 3.0 * progress}
    events.append(
        at(10 * progress + 1, EventKind.SESSION_ENDED, outcome=Outcome.DONE,
           **(final if end_has_totals else {}))
    )  # fmt: skip
    return events


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # one database, new sessions
)
@given(data=st.data())
def test_the_charge_in_force_always_equals_the_sessions_totals(
    data: st.DataObject, api_settings: Settings, api_engine: Engine, device: DeviceToken
) -> None:
    badge = "SETTLE0001"
    with write_session(api_engine) as session:
        try:
            find_by_badge(session, badge)
        except NotFound:
            register_maker(session, NewMaker("S-0001", "Settle Maker", badge_id=badge))
    events = _events(
        badge, data.draw(st.integers(0, 4), label="progress"), data.draw(st.booleans(), label="end")
    )
    order = data.draw(st.permutations(events), label="order")
    cuts = sorted(data.draw(st.sets(st.integers(1, len(order) - 1), max_size=3), label="cuts"))
    batches = [order[a:b] for a, b in zip([0, *cuts], [*cuts, len(order)], strict=True)]
    now = START + timedelta(hours=2)
    for batch in batches:
        now += timedelta(minutes=1)
        with write_session(api_engine) as session:
            result = ingest_batch(
                session,
                authenticate(session, device.token),
                EventBatch(events=batch),
                now=now,
                clock_tolerance=CLOCK_TOLERANCE,
            )
            after_ingest(
                session,
                result.touched_session_ids,
                result.finished_session_ids,
                now=now,
                settings=api_settings,
            )
    run = events[0].session_id
    with session_scope(api_engine) as session:
        usage = session.exec(select(UsageSession).where(UsageSession.uuid == run)).one()
        charges = session.exec(
            select(UsageCharge)
            .where(UsageCharge.usage_session_id == usage.id)
            .order_by(col(UsageCharge.revision))
        ).all()
        reversed_ids = set(
            session.exec(
                select(LedgerTransaction.reverses_id).where(
                    col(LedgerTransaction.reverses_id).is_not(None)
                )
            ).all()
        )
    in_force = [c for c in charges if c.transaction_id not in reversed_ids]
    assert len(in_force) == 1
    assert [c.revision for c in charges] == list(range(1, len(charges) + 1))
    assert in_force[0].active_seconds == usage.active_seconds
    if any(c.material_grams for c in charges):  # the machine's category prices material
        assert in_force[0].material_grams == (usage.material_g or 0.0)
