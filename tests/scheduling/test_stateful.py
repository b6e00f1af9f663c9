"""A Hypothesis state machine: random book / cancel / check-in / time passing / no-show /
waitlist steps on several machines keep every invariant: no overlap, quotas, the lifecycle."""

from __future__ import annotations

import contextlib
import itertools
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlmodel import select

from fabdesk.db import session_scope, write_session
from fabdesk.errors import RuleViolation
from fabdesk.models import (
    LIVE_STATES,
    Booking,
    BookingPolicy,
    BookingState,
    WaitlistEntry,
    WaitlistState,
)
from fabdesk.settings import SchedulerSettings
from scheduling import attendance, bookings, lookups, releases, waitlist
from scheduling.rules import iso_week_bounds
from tests.scheduling.conftest import NOW, World, local

TERMINAL = {BookingState.COMPLETED, BookingState.CANCELLED, BookingState.NO_SHOW}
NEXT = {
    BookingState.BOOKED: {BookingState.BOOKED, BookingState.CHECKED_IN, *TERMINAL},
    BookingState.CHECKED_IN: {BookingState.CHECKED_IN, BookingState.COMPLETED},
}
WEEKLY_HOURS = 6
FUTURE = 3
GRACE = timedelta(minutes=15)


def _reset(world: World) -> None:
    with session_scope(world.engine) as session:
        for table in ("waitlist_entries", "notifications", "maker_suspensions", "bookings"):
            session.execute(sa.text(f"DELETE FROM {table}"))


def test_invariants_hold_under_random_steps(world: World) -> None:
    with session_scope(world.engine) as session:
        for machine in (world.laser1, world.laser2, world.laser_b):
            session.add(
                BookingPolicy.model_validate(
                    {
                        "equipment_id": machine,
                        "buffer_minutes": 15,
                        "max_hours_per_week": WEEKLY_HOURS,
                        "max_future_bookings": FUTURE,
                        "max_minutes": 180,
                    }
                )
            )
    machines = [world.laser1, world.laser2, world.laser_b]
    makers = [world.alice, world.bob, world.carol]

    class Bookings(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            _reset(world)
            self.now = NOW
            self.ids: list[int] = []
            self.seen: dict[int, BookingState] = {}

        @rule(
            maker=st.sampled_from(makers),
            machine=st.sampled_from(machines),
            day=st.integers(0, 3),
            quarter=st.integers(0, 40),
            quarters=st.integers(1, 12),
        )
        def book(self, maker: int, machine: int, day: int, quarter: int, quarters: int) -> None:
            starts = local(NOW.date(), 9) + timedelta(days=day, minutes=15 * quarter)
            try:
                booking = world.book(
                    maker, machine, starts, starts + timedelta(minutes=15 * quarters), self.now
                )
            except RuleViolation:
                return
            self.ids.append(booking.id or 0)

        @rule(index=st.integers(0, 50), by_maker=st.booleans())
        def cancel(self, index: int, by_maker: bool) -> None:
            if not self.ids:
                return
            booking_id = self.ids[index % len(self.ids)]
            with write_session(world.engine) as session:
                maker = lookups.get_booking(session, booking_id).maker_id if by_maker else None
                with contextlib.suppress(RuleViolation):
                    bookings.cancel(
                        session,
                        booking_id=booking_id,
                        now=self.now,
                        maker_id=maker,
                        settings=SchedulerSettings(),
                    )

        @rule(index=st.integers(0, 50))
        def check_in(self, index: int) -> None:
            if not self.ids:
                return
            with (
                write_session(world.engine) as session,
                contextlib.suppress(RuleViolation),
            ):
                bookings.check_in(
                    session,
                    booking_id=self.ids[index % len(self.ids)],
                    now=self.now,
                    settings=SchedulerSettings(),
                )

        @rule(index=st.integers(0, 50), maker=st.sampled_from(makers))
        def wait_for(self, index: int, maker: int) -> None:
            if not self.ids:
                return
            with write_session(world.engine) as session:
                taken = lookups.get_booking(session, self.ids[index % len(self.ids)])
                with contextlib.suppress(RuleViolation):
                    waitlist.join(
                        session,
                        maker_id=maker,
                        equipment_id=taken.equipment_id,
                        starts_at=taken.starts_at,
                        ends_at=taken.ends_at,
                        now=self.now,
                    )

        @rule()
        def accept_offers(self) -> None:
            with write_session(world.engine) as session:
                offers = session.exec(
                    select(WaitlistEntry).where(WaitlistEntry.state == WaitlistState.OFFERED)
                ).all()
                for offer in offers:
                    try:
                        with session.begin_nested():
                            booking = waitlist.accept_offer(
                                session,
                                entry_id=offer.id or 0,
                                maker_id=offer.maker_id,
                                now=self.now,
                                settings=SchedulerSettings(),
                            )
                    except RuleViolation:
                        continue
                    self.ids.append(booking.id or 0)

        @rule(minutes=st.integers(5, 600))
        def time_passes(self, minutes: int) -> None:
            self.now += timedelta(minutes=minutes)

        @rule()
        def scheduler_runs(self) -> None:
            with write_session(world.engine) as session:
                attendance.complete_finished(session, self.now)
                releases.release_no_shows(session, self.now, settings=SchedulerSettings())
                waitlist.expire_offers(session, self.now, settings=SchedulerSettings())

        @invariant()
        def no_overlap(self) -> None:
            with session_scope(world.engine) as session:
                live = session.exec(
                    select(Booking)
                    .where(sa.column("state").in_([s.value for s in LIVE_STATES]))
                    .order_by(Booking.equipment_id, Booking.starts_at)  # type: ignore[arg-type]
                ).all()
            for first, second in itertools.pairwise(live):
                if first.equipment_id == second.equipment_id:
                    assert first.blocked_until <= second.starts_at, (first, second)

        @invariant()
        def quotas(self) -> None:
            with session_scope(world.engine) as session:
                rows = session.exec(
                    select(Booking).where(
                        sa.column("state").in_(
                            [BookingState.BOOKED.value, BookingState.CHECKED_IN.value, "completed"]
                        )
                    )
                ).all()
            hours: dict[tuple[int, object], timedelta] = defaultdict(timedelta)
            future: dict[int, int] = defaultdict(int)
            for b in rows:
                week = iso_week_bounds(
                    b.starts_at.astimezone(local(NOW.date(), 0).tzinfo).date(), "Europe/Brussels"
                )
                hours[(b.maker_id, week[0])] += b.ends_at - b.starts_at
                if b.state in LIVE_STATES and b.ends_at > self.now:
                    future[b.maker_id] += 1
            assert all(h <= timedelta(hours=WEEKLY_HOURS) for h in hours.values()), hours
            assert all(n <= FUTURE for n in future.values()), future
            assert world.carol not in {b.maker_id for b in rows}, "uncertified maker booked"

        @invariant()
        def lifecycle(self) -> None:
            with session_scope(world.engine) as session:
                rows = session.exec(select(Booking)).all()
                offers = session.exec(
                    select(WaitlistEntry).where(WaitlistEntry.state == WaitlistState.OFFERED)
                ).all()
            for b in rows:
                before = self.seen.get(b.id or 0)
                if before is not None:
                    assert b.state in NEXT.get(before, {before}), (before, b.state)
                self.seen[b.id or 0] = b.state
                if b.state is BookingState.CHECKED_IN:
                    assert b.checked_in_at is not None
                    assert b.starts_at - GRACE <= b.checked_in_at <= b.starts_at + GRACE
                if b.state is BookingState.NO_SHOW:
                    assert b.closed_at is not None
                    assert b.closed_at > b.starts_at + GRACE
                if b.state in TERMINAL:
                    assert b.closed_at is not None
            for first, second in itertools.pairwise(offers):
                if first.equipment_id == second.equipment_id:
                    assert not (
                        first.starts_at < second.ends_at and second.starts_at < first.ends_at
                    ), "two live offers for one slot"

    run_state_machine_as_test(
        Bookings,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
