"""Many kiosks book the same slots at once: exactly one wins each slot, the others get slot_taken.

On PostgreSQL 16 threads each hold their own connection and race on every slot (the exclusion
constraint decides); on SQLite the same with threads (the serialised writer decides).
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from fabdesk.db import make_engine, session_scope, write_session
from fabdesk.errors import RuleViolation
from fabdesk.models import Booking, BookingPolicy, BookingState
from fabdesk.settings import DatabaseSettings, SchedulerSettings
from inventory.makers import NewMaker, certify, register_maker
from scheduling import bookings
from tests.scheduling.conftest import NOW, World, local

WORKERS = 16
SLOTS = 6


@pytest.mark.slow
def test_sixteen_workers_race_for_the_same_slots(world: World, database_url: str) -> None:
    with session_scope(world.engine) as session:
        session.add(
            BookingPolicy.model_validate(
                {
                    "equipment_id": world.laser1,
                    "buffer_minutes": 10,
                    "max_hours_per_week": 0,
                    "max_future_bookings": 0,
                }
            )
        )
        makers = []
        for n in range(WORKERS):
            maker = register_maker(session, NewMaker(f"R-{n}", f"Racer {n}"))
            certify(session, maker, "laser", granted_on=date(2026, 1, 1))
            makers.append(maker.id or 0)
    engine = make_engine(DatabaseSettings(url=database_url, pool_size=WORKERS + 2))
    day = date(2026, 11, 25)
    slots = [
        (local(day, 9) + timedelta(minutes=90 * n), local(day, 10) + timedelta(minutes=90 * n))
        for n in range(SLOTS)
    ]
    barrier = threading.Barrier(WORKERS)
    wins: Counter[int] = Counter()
    refusals: Counter[str] = Counter()
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker(maker_id: int) -> None:
        for index, (starts_at, ends_at) in enumerate(slots):
            barrier.wait(timeout=60)
            try:
                with write_session(engine) as session:
                    bookings.book(
                        session,
                        maker_id=maker_id,
                        equipment_id=world.laser1,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        now=NOW,
                        settings=SchedulerSettings(),
                    )
            except RuleViolation as error:
                with lock:
                    refusals.update(v.code for v in error.violations)
            except BaseException as error:  # collected and re-raised by the test thread
                with lock:
                    failures.append(error)
            else:
                with lock:
                    wins[index] += 1

    threads = [threading.Thread(target=worker, args=(m,)) for m in makers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    engine.dispose()
    assert failures == []
    assert wins == Counter(dict.fromkeys(range(SLOTS), 1))
    assert refusals == Counter({"slot_taken": SLOTS * (WORKERS - 1)})
    with session_scope(world.engine) as session:
        stored = session.exec(
            select(Booking)
            .where(Booking.equipment_id == world.laser1)
            .order_by(col(Booking.starts_at))
        ).all()
    assert len(stored) == SLOTS
    for first, second in itertools.pairwise(stored):
        assert first.blocked_until <= second.starts_at


@pytest.mark.pg
def test_the_database_itself_refuses_overlaps_on_postgresql(postgres_world: World) -> None:
    """Even a writer that skips the rules cannot store an overlap on PostgreSQL (SQLite relies on
    the serialised writer, tested above)."""
    world = postgres_world
    import sqlalchemy as sa

    day = date(2026, 11, 25)
    first = Booking(
        maker_id=world.alice,
        equipment_id=world.laser1,
        starts_at=local(day, 10),
        ends_at=local(day, 11),
        blocked_until=local(day, 11, 30),
        created_at=NOW,
    )
    second = Booking(
        maker_id=world.bob,
        equipment_id=world.laser1,
        starts_at=local(day, 11, 15),
        ends_at=local(day, 12),
        blocked_until=local(day, 12),
        created_at=NOW,
    )
    with session_scope(world.engine) as session:
        session.add(first)
    with (
        pytest.raises(sa.exc.IntegrityError, match="no_overlap"),
        session_scope(world.engine) as session,
    ):
        session.add(second)
    # A cancelled booking no longer holds the machine.
    with session_scope(world.engine) as session:
        stored = session.get(Booking, first.id)
        assert stored is not None
        stored.state = BookingState.CANCELLED
    with session_scope(world.engine) as session:
        session.add(
            Booking(
                maker_id=world.bob,
                equipment_id=world.laser1,
                starts_at=local(day, 11, 15),
                ends_at=local(day, 12),
                blocked_until=local(day, 12),
                created_at=NOW,
            )
        )


@pytest.mark.pg
def test_an_extension_racing_a_booking_of_the_next_slot_gets_slot_taken(
    postgres_world: World,
) -> None:
    """Bob books 11:00-12:00 and holds his transaction open; Alice's extension to 11:30 passes
    the check (Bob's row is not committed yet), waits on the exclusion constraint, and loses
    when Bob commits: slot_taken, never PendingRollbackError."""
    world = postgres_world
    day = date(2026, 11, 25)
    rules = SchedulerSettings()
    with write_session(world.engine) as session:
        first = bookings.book(
            session,
            maker_id=world.alice,
            equipment_id=world.laser1,
            starts_at=local(day, 10),
            ends_at=local(day, 11),
            now=NOW,
            settings=rules,
        )
    inserted, release = threading.Event(), threading.Event()

    def bob() -> None:
        with write_session(world.engine) as session:
            bookings.book(
                session,
                maker_id=world.bob,
                equipment_id=world.laser1,
                starts_at=local(day, 11),
                ends_at=local(day, 12),
                now=NOW,
                settings=rules,
            )
            inserted.set()
            release.wait(timeout=30)

    racer = threading.Thread(target=bob)
    racer.start()
    assert inserted.wait(timeout=30)
    threading.Timer(0.5, release.set).start()
    with pytest.raises(RuleViolation) as refused, write_session(world.engine) as session:
        bookings.extend(
            session, booking_id=first.id or 0, ends_at=local(day, 11, 30), now=NOW, settings=rules
        )
    racer.join(timeout=30)
    assert [v.code for v in refused.value.violations] == ["slot_taken"]
    assert "11:00" in str(refused.value)
    with session_scope(world.engine) as session:
        stored = session.get(Booking, first.id)
        assert stored is not None
        assert stored.ends_at == local(day, 11)
