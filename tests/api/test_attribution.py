"""End to end (issue 15): who pays for a use of a machine, on SQLite and PostgreSQL.

The real server runs on uvicorn with a clock the test moves; wire batches are posted over HTTP as
a driver posts them (the driver itself is not the point here: attribution is the server's).
Bookings, makers and certifications are made through the services.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, col, select

from fabdesk.api.app import create_app
from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import (
    AccountKind,
    Booking,
    BookingState,
    Equipment,
    EquipmentCategory,
    LedgerTransaction,
    MachineStatus,
    Maker,
    TransactionKind,
    UsageCharge,
    UsageSession,
    id_of,
)
from fabdesk.settings import SchedulerSettings, Settings
from fabdesk.wire import Event, EventBatch, EventKind, MachineState, Outcome, Readings
from inventory.makers import NewMaker, certify, register_maker
from inventory.managers import set_pin
from scheduling.bookings import book
from scheduling.releases import release_no_shows
from tests.api.conftest import DeviceToken, serving

DAY = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
"""A Wednesday: 13:00 in Brussels, the lab is open."""


@dataclass
class Clock:
    now: datetime = DAY - timedelta(days=1)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Lab:
    engine: Engine
    client: httpx.Client
    device: DeviceToken
    clock: Clock
    equipment_id: int
    makers: dict[str, Maker] = field(default_factory=dict)

    def book(self, who: str, start: datetime, hours: float = 1) -> int:
        return book_for(self.engine, self.makers[who], self.equipment_id, start, hours)

    def post(self, events: list[Event], *, at: datetime, sent_at: datetime | None = None) -> None:
        """The driver's batch reaches the server at `at` (server clock)."""
        self.clock.now = at
        batch = EventBatch(events=events, sent_at=sent_at)
        answer = self.client.post(
            "/api/v1/ingest",
            content=batch.model_dump_json(),
            headers={**self.device.headers, "Content-Type": "application/json"},
        )
        assert answer.status_code == 200, answer.text

    def usage(self, run: uuid.UUID) -> UsageSession:
        with session_scope(self.engine) as session:
            return session.exec(select(UsageSession).where(UsageSession.uuid == run)).one()

    def charges(self, run: uuid.UUID) -> list[UsageCharge]:
        usage_id = self.usage(run).id
        with session_scope(self.engine) as session:
            return list(
                session.exec(
                    select(UsageCharge)
                    .where(UsageCharge.usage_session_id == usage_id)
                    .order_by(col(UsageCharge.revision))
                )
            )

    def booking(self, booking_id: int) -> Booking:
        with session_scope(self.engine) as session:
            found = session.get(Booking, booking_id)
            assert found is not None
            return found


def book_for(engine: Engine, maker: Maker, equipment_id: int, start: datetime, hours: float) -> int:
    """The maker's booking of the machine, made the day before through the service."""
    with write_session(engine) as session:
        booking = book(
            session,
            maker_id=id_of(maker),
            equipment_id=equipment_id,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            now=start - timedelta(days=1),
            settings=SchedulerSettings(),
        )
        return id_of(booking)


def maker_certified(session: Session, number: str, category: str) -> Maker:
    maker = register_maker(
        session,
        NewMaker(member_number=number, name=f"Maker {number}", badge_id=f"BADGE{number}AB"),
    )
    certify(session, maker, category, granted_on=DAY.date() - timedelta(days=30))
    return maker


@pytest.fixture
def lab(api_settings: Settings, api_engine: Engine, device: DeviceToken) -> Iterator[Lab]:
    clock = Clock()
    with write_session(api_engine) as session:
        machine = session.exec(
            select(Equipment).where(Equipment.asset_tag == device.equipment_tag)
        ).one()
        kind = session.get(EquipmentCategory, machine.category_id)
        assert kind is not None
        category = kind.code
        makers = {name: maker_certified(session, f"T-{name}", category) for name in ("A", "B", "M")}
        set_pin(session, makers["M"], "4321")
        equipment_id = id_of(machine)
    app = create_app(api_settings, api_engine, clock=clock)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield Lab(api_engine, client, device, clock, equipment_id, makers)


def started(run: uuid.UUID, at: datetime, *, badge: str | None = None) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=EventKind.SESSION_STARTED,
        session_id=run,
        device_time=at,
        readings=Readings(job_name="part.svg"),
        badge=badge,
    )


def progress(run: uuid.UUID, at: datetime, active: float, grams: float | None = None) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=EventKind.SESSION_PROGRESS,
        session_id=run,
        device_time=at,
        readings=Readings(active_seconds=active, material_g=grams),
    )


def ended(run: uuid.UUID, at: datetime, active: float | None = None) -> Event:
    return Event(
        id=uuid.uuid4(),
        kind=EventKind.SESSION_ENDED,
        session_id=run,
        device_time=at,
        readings=Readings(active_seconds=active, outcome=Outcome.DONE),
    )


def job(
    start: datetime, minutes: int, *, badge: str | None = None
) -> tuple[uuid.UUID, list[Event]]:
    run = uuid.uuid4()
    end = start + timedelta(minutes=minutes)
    return run, [started(run, start, badge=badge), ended(run, end, active=minutes * 60.0)]


def test_back_to_back_bookings_charge_each_job_to_its_own_maker(lab: Lab) -> None:
    first = lab.book("A", DAY)
    second = lab.book("B", DAY + timedelta(hours=1))
    run_a, events_a = job(DAY + timedelta(minutes=50), 8)  # 16:50-16:58 in the issue
    run_b, events_b = job(DAY + timedelta(minutes=65), 30)
    lab.post(events_a, at=DAY + timedelta(minutes=59))
    lab.post(events_b, at=DAY + timedelta(minutes=96))

    assert lab.usage(run_a).maker_id == id_of(lab.makers["A"])
    assert lab.usage(run_a).booking_id == first
    assert [c.maker_id for c in lab.charges(run_a)] == [id_of(lab.makers["A"])]
    assert lab.usage(run_b).booking_id == second
    assert [c.maker_id for c in lab.charges(run_b)] == [id_of(lab.makers["B"])]
    assert lab.booking(first).checked_in_at == DAY + timedelta(minutes=50)
    assert lab.booking(second).checked_in_at == DAY + timedelta(minutes=65)


def test_a_job_overlapping_the_next_booking_most_is_the_next_makers(lab: Lab) -> None:
    lab.book("A", DAY)
    second = lab.book("B", DAY + timedelta(hours=1))
    run, events = job(DAY + timedelta(minutes=50), 40)  # 10 min in A's, 30 in B's
    lab.post(events[:1], at=DAY + timedelta(minutes=51))
    assert lab.usage(run).maker_id == id_of(lab.makers["A"]), "running: the booking under way"
    lab.post(events[1:], at=DAY + timedelta(minutes=91))
    assert lab.usage(run).booking_id == second
    assert [c.maker_id for c in lab.charges(run)] == [id_of(lab.makers["B"])]


def test_a_job_without_a_booking_waits_until_a_manager_assigns_it_then_is_charged_once(
    lab: Lab,
    manager_token: str,
) -> None:
    run, events = job(DAY + timedelta(hours=3), 20)
    lab.post(events, at=DAY + timedelta(hours=4))
    usage = lab.usage(run)
    assert usage.maker_id is None
    assert lab.charges(run) == []
    manager = {"Authorization": f"Bearer {manager_token}"}
    listed = lab.client.get("/api/v1/usage/unattributed", headers=manager)
    assert listed.status_code == 200
    assert [row["uuid"] for row in listed.json()] == [str(run)]
    assert lab.client.get("/api/v1/usage/unattributed").status_code in {401, 403}

    unsigned = lab.client.post(f"/api/v1/usage/{usage.id}/assign", json={"maker": "T-A"})
    assert unsigned.status_code == 401  # the manager who assigns is the token's, nobody else
    body = {"maker": "T-A"}
    assigned = lab.client.post(f"/api/v1/usage/{usage.id}/assign", json=body, headers=manager)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["charge_transaction_id"] is not None
    again = lab.client.post(f"/api/v1/usage/{usage.id}/assign", json=body, headers=manager)
    assert again.status_code == 200
    assert again.json()["charge_transaction_id"] is None
    other = {"lab": "cityfab1"}
    moved = lab.client.post(f"/api/v1/usage/{usage.id}/assign", json=other, headers=manager)
    assert moved.status_code == 409
    assert moved.json()["code"] == "session_already_attributed"

    assert [c.maker_id for c in lab.charges(run)] == [id_of(lab.makers["A"])]
    assert lab.usage(run).assigned_by_id is not None  # the token's manager, by id
    assert lab.client.get("/api/v1/usage/unattributed", headers=manager).json() == []
    with session_scope(lab.engine) as session:
        anonymous = session.exec(
            select(LedgerTransaction).where(LedgerTransaction.maker_id.is_(None))  # type: ignore[union-attr]
        ).all()
        assert all(t.kind is not TransactionKind.CHARGE for t in anonymous)
        from fabdesk.accounting.ledger import find_account

        assert find_account(session, AccountKind.MAKER) is None, "no anonymous maker account"


def test_a_badge_at_the_machine_names_the_maker_even_in_another_makers_booking(lab: Lab) -> None:
    booked = lab.book("A", DAY)
    badge = lab.makers["B"].badge_id
    assert badge is not None
    run, events = job(DAY + timedelta(minutes=5), 20, badge=badge.lower())
    lab.post(events, at=DAY + timedelta(minutes=30))
    usage = lab.usage(run)
    assert usage.maker_id == id_of(lab.makers["B"])
    assert usage.booking_id is None
    assert [c.maker_id for c in lab.charges(run)] == [id_of(lab.makers["B"])]
    assert lab.booking(booked).state is BookingState.BOOKED, "B's use does not check A in"


def test_a_job_started_early_into_a_booking_undoes_the_no_show_and_its_strike(lab: Lab) -> None:
    booked = lab.book("A", DAY)
    run = uuid.uuid4()
    start = DAY - timedelta(minutes=30)  # before the check-in window opens
    lab.post([started(run, start)], at=start + timedelta(seconds=5))
    assert lab.usage(run).maker_id is None
    with write_session(lab.engine) as session:  # the no-show job runs at 13:20 (Brussels)
        released = release_no_shows(session, DAY + timedelta(minutes=20), SchedulerSettings())
    assert [id_of(b) for b in released] == [booked]
    lab.post(
        [
            progress(run, DAY + timedelta(minutes=10), 2400.0),
            ended(run, DAY + timedelta(minutes=30), 3600.0),
        ],
        at=DAY + timedelta(minutes=31),
    )
    after = lab.booking(booked)
    assert after.state is BookingState.CHECKED_IN
    assert after.checked_in_at == start
    assert [c.maker_id for c in lab.charges(run)] == [id_of(lab.makers["A"])]


def test_a_pi_clock_at_1970_that_jumps_mid_session_is_charged_in_the_right_month(
    lab: Lab,
) -> None:
    lab.book("A", DAY)
    run = uuid.uuid4()
    boot = datetime(1970, 1, 1, 0, 1, tzinfo=UTC)
    real_start = DAY + timedelta(minutes=2)
    # Before NTP: the Pi says 1970 when the job starts and when it sends.
    lab.post(
        [started(run, boot)],
        at=real_start + timedelta(seconds=30),
        sent_at=boot + timedelta(seconds=30),
    )
    with session_scope(lab.engine) as session:
        status = session.get(MachineStatus, lab.equipment_id)
        assert status is not None
        assert status.clock_suspect
    # NTP set the clock: the rest of the job carries real times.
    end = DAY + timedelta(minutes=40)
    lab.post(
        [ended(run, end, 2280.0)], at=end + timedelta(seconds=3), sent_at=end + timedelta(seconds=3)
    )
    usage = lab.usage(run)
    assert usage.device_started_at == boot, "the raw device time is kept"
    assert usage.started_at == real_start
    assert usage.maker_id == id_of(lab.makers["A"])
    [charge] = lab.charges(run)
    assert charge.month == "2026-11"
    assert charge.occurred_on == DAY.date()
    with session_scope(lab.engine) as session:
        status = session.get(MachineStatus, lab.equipment_id)
        assert status is not None
        assert not status.clock_suspect


def test_a_heartbeat_from_a_year_ahead_does_not_hold_the_machine_in_alarm(lab: Lab) -> None:
    ahead = DAY + timedelta(days=365)

    def heartbeat(at: datetime, state: MachineState) -> Event:
        return Event(
            id=uuid.uuid4(),
            kind=EventKind.HEARTBEAT,
            device_time=at,
            readings=Readings(state=state),
        )

    def fault(at: datetime, detail: str) -> Event:
        return Event(
            id=uuid.uuid4(), kind=EventKind.FAULT, device_time=at, readings=Readings(detail=detail)
        )

    lab.post([heartbeat(ahead, MachineState.ALARM), fault(ahead, "2056?")], at=DAY)
    lab.post([fault(DAY + timedelta(seconds=30), "door open")], at=DAY + timedelta(seconds=30))
    lab.post(
        [heartbeat(DAY + timedelta(minutes=1), MachineState.IDLE)], at=DAY + timedelta(minutes=1)
    )
    with session_scope(lab.engine) as session:
        status = session.get(MachineStatus, lab.equipment_id)
        assert status is not None
        assert status.state is MachineState.IDLE
        assert status.last_fault_detail == "door open", "a fault from the future hides nothing"


def test_progress_after_the_end_reprices_the_charge_once(lab: Lab) -> None:
    lab.book("A", DAY)
    run = uuid.uuid4()
    start, end = DAY + timedelta(minutes=1), DAY + timedelta(minutes=59)
    lab.post([started(run, start), ended(run, end)], at=end + timedelta(seconds=2))
    [first] = lab.charges(run)
    assert first.active_seconds == 0
    late = [
        progress(run, start + timedelta(minutes=m), m * 60.0, grams=m * 0.5) for m in (20, 40, 58)
    ]
    lab.post(late, at=end + timedelta(minutes=5))
    lab.post(late, at=end + timedelta(minutes=6))  # the outbox sends it again: nothing new
    charges = lab.charges(run)
    assert [c.revision for c in charges] == [1, 2]
    usage = lab.usage(run)
    assert charges[-1].active_seconds == usage.active_seconds == 58 * 60.0
    assert charges[-1].total_cents > first.total_cents
    with session_scope(lab.engine) as session:
        reversals = session.exec(
            select(LedgerTransaction).where(LedgerTransaction.kind == TransactionKind.REVERSAL)
        ).all()
        assert [r.reverses_id for r in reversals] == [first.transaction_id]
