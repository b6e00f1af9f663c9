"""A session restored after a power cut, when the wall clock is not the one it was written on.

A Raspberry Pi has no clock battery: it boots in 1970 until NTP answers. The open session is
written to a real outbox file by the machine loop's own `store`, the process "dies" (the outbox
is closed, nothing else is kept), and a new boot restores it with `restore_tracker`, as the
daemon does. The clocks are the driver's parameters (`Clocks`), set by the test.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from drivers.coordinator import MachineLoop, restore_tracker
from drivers.link import SerialLink
from drivers.machines import GrblMachine
from drivers.outbox import Clocks, Outbox
from drivers.sessions import Observation, OpenSession, SessionTracker
from drivers.wire import Event, EventKind, MachineState, Outcome

REAL = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RUN, IDLE = MachineState.RUNNING, MachineState.IDLE


@dataclass
class PiClock:
    """One boot's clocks: the wall clock (may be set) and the monotonic one (from the boot)."""

    now: datetime
    since_boot: float = 10.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.since_boot

    def tick(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        self.since_boot += seconds
        return self.now


class Boot:
    """One run of the driver on one boot: an outbox on the file, a tracker, the machine loop."""

    counter = itertools.count(1)

    def __init__(self, path: Path, clock: PiClock, boot: str) -> None:
        self.clock = clock
        self.outbox = Outbox(path, clocks=Clocks(clock.wall, clock.monotonic, boot))
        self.tracker = restore_tracker(self.outbox, self.make)
        machine = GrblMachine(SerialLink("loop://", 115200, clock.wall), clock.wall)
        self.loop = MachineLoop(
            machine,
            self.tracker,
            self.outbox,
            clock=clock.wall,
            new_id=self.new_id,
            poll_seconds=1.0,
            monotonic=clock.monotonic,
        )

    def new_id(self) -> UUID:
        return UUID(int=next(self.counter))

    def make(self, session: OpenSession | None) -> SessionTracker:
        return SessionTracker(
            self.new_id,
            idle_grace_seconds=0,
            max_gap_seconds=2.0,
            progress_seconds=5.0,
            session=session,
        )

    def run(self, seconds: int, state: MachineState = RUN) -> None:
        """The machine seen once a second; what the tracker makes of it is stored."""
        for _ in range(seconds):
            now = self.clock.tick(1.0)
            self.loop.store(self.tracker.observe(Observation(now, state, active=state is RUN)))

    def ntp(self, to: datetime) -> None:
        """NTP sets the wall clock; the next poll sees the jump (`MachineLoop._follow_clock`)."""
        self.clock.now = to
        assert self.loop._follow_clock()

    def cut(self) -> list[Event]:
        """The power goes (or the driver is killed): what the outbox holds is what is left;
        nothing was acknowledged, so the last boot's outbox holds every event."""
        events = self.outbox.events()
        self.outbox.close()
        return events


def one_session(events: list[Event]) -> tuple[Event, Event]:
    counts = Counter(e.kind for e in events if e.session_id is not None)
    assert counts[EventKind.SESSION_STARTED] == 1, counts
    assert counts[EventKind.SESSION_ENDED] == 1, counts
    assert len({e.session_id for e in events if e.session_id is not None}) == 1
    (start,) = [e for e in events if e.kind is EventKind.SESSION_STARTED]
    (end,) = [e for e in events if e.kind is EventKind.SESSION_ENDED]
    return start, end


def test_restored_at_1970_then_set_by_ntp_it_stays_one_session_of_its_real_length(
    tmp_path: Path,
) -> None:
    first = Boot(tmp_path / "outbox.db", PiClock(REAL), "boot-1")
    first.run(30)  # a job, seen for 30 s; then the power goes
    first.cut()
    # The Pi is back two minutes later, at 1970; the job went on (the laser has its own power).
    second = Boot(tmp_path / "outbox.db", PiClock(EPOCH + timedelta(seconds=40)), "boot-2")
    assert second.tracker.session is not None
    assert second.tracker.session.last_time == EPOCH + timedelta(seconds=40)
    second.run(20)
    second.ntp(REAL + timedelta(minutes=3))
    assert second.tracker.session is not None
    assert second.tracker.session.started_at == REAL + timedelta(seconds=1), "its real start"
    second.run(10)
    second.run(1, IDLE)
    start, end = one_session(second.cut())
    assert start.device_time == REAL + timedelta(seconds=1), "the real start is kept"
    assert end.device_time == REAL + timedelta(minutes=3, seconds=11)
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.active_seconds is not None
    assert end.readings.active_seconds == 55  # 25 s stored before the cut, 19 s, 11 s after


def test_restored_at_1970_and_ended_before_ntp_the_end_follows_its_start(tmp_path: Path) -> None:
    first = Boot(tmp_path / "outbox.db", PiClock(REAL), "boot-1")
    first.run(30)
    first.cut()
    second = Boot(tmp_path / "outbox.db", PiClock(EPOCH + timedelta(seconds=40)), "boot-2")
    second.run(5)
    second.run(1, IDLE)
    _start, end = one_session(second.cut())
    assert end.readings.active_seconds is not None
    assert end.readings.active_seconds == 30, "never cut to nothing by a start 'after' it"
    # Dated on the Pi's clock, 1970: the outbox re-dates it when NTP comes before it is sent,
    # the server by the batch's offset otherwise (docs/attribution.md).
    assert end.device_time.year == 1970


def test_begun_at_1970_and_restored_on_a_set_clock_is_not_fifty_six_years_long(
    tmp_path: Path,
) -> None:
    first = Boot(tmp_path / "outbox.db", PiClock(EPOCH + timedelta(seconds=30)), "boot-1")
    first.run(30)
    first.cut()
    second = Boot(tmp_path / "outbox.db", PiClock(REAL), "boot-2")  # NTP came before the driver
    second.run(5, MachineState.OFFLINE)  # the machine not answering yet: no contact lost for years
    second.run(10)
    second.run(1, IDLE)
    start, end = one_session(second.cut())
    assert start.device_time.year == 1970  # as it was written (the server corrects it)
    assert REAL < end.device_time <= REAL + timedelta(seconds=20)
    assert end.readings.outcome is Outcome.DONE
    assert end.readings.active_seconds is not None
    assert end.readings.active_seconds == 35


def test_restarted_in_the_same_boot_after_ntp_set_the_clock_moves_by_the_exact_jump(
    tmp_path: Path,
) -> None:
    clock = PiClock(EPOCH + timedelta(seconds=30))
    first = Boot(tmp_path / "outbox.db", clock, "boot-1")
    first.run(30)
    first.cut()  # the driver is killed; the Pi runs on
    clock.tick(5)
    jump = REAL - clock.now
    clock.now = REAL  # NTP answers while no driver runs
    second = Boot(tmp_path / "outbox.db", clock, "boot-1")
    assert second.tracker.session is not None
    assert second.tracker.session.started_at == EPOCH + timedelta(seconds=31) + jump
    assert second.tracker.session.known_start is None  # the move is exact: nothing to give back
    second.run(10)
    second.run(1, IDLE)
    _start, end = one_session(second.cut())
    assert end.device_time == REAL + timedelta(seconds=11)
    assert end.readings.active_seconds is not None
    assert end.readings.active_seconds == 35


def test_both_clocks_right_the_outage_stays_a_gap(tmp_path: Path) -> None:
    first = Boot(tmp_path / "outbox.db", PiClock(REAL), "boot-1")
    first.run(30)
    first.cut()
    second = Boot(tmp_path / "outbox.db", PiClock(REAL + timedelta(minutes=5)), "boot-2")
    assert second.tracker.session is not None
    assert second.tracker.session.last_time == REAL + timedelta(seconds=26)  # not moved
    second.run(10)
    second.run(1, IDLE)
    _, end = one_session(second.cut())
    assert end.device_time == REAL + timedelta(minutes=5, seconds=11)
