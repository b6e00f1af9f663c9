"""Serial machine adapters: GRBL lasers, Marlin printers printing from SD, usage meters.

Each one opens its port (`serial_for_url`), polls it, and turns the parsed lines into
`Observation`s for the session tracker. None of them sends anything that could disturb a job:
GRBL gets only the real-time `?`; Marlin gets `M27`/`M105`; a meter gets `?`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from drivers.errors import MachineUnavailable
from drivers.link import SerialLink
from drivers.protocols import grbl, marlin, meter
from drivers.sessions import Observation
from drivers.wire import MachineState, Outcome

log = logging.getLogger(__name__)


class Machine(Protocol):
    """What the coordinator needs from any machine adapter."""

    def connect(self) -> None:
        """Open the link and make sure the machine answers; raises MachineUnavailable."""

    def poll(self) -> list[Observation]:
        """What was learnt since the last poll; raises MachineUnavailable."""

    def close(self) -> None: ...


class SerialMachine:
    """Common ground: a `SerialLink`, a silence watchdog (a stalled machine is not a gone port)."""

    def __init__(
        self,
        link: SerialLink,
        clock: Callable[[], datetime],
        *,
        stall_seconds: float = 5.0,
    ) -> None:
        self.link = link
        self.clock = clock
        self.stall = timedelta(seconds=stall_seconds)
        self._silent = False
        self._connected_at: datetime | None = None

    def close(self) -> None:
        self.link.close()

    def _silence(self, now: datetime) -> list[Observation]:
        heard = self.link.last_heard or self._connected_at or now
        if now - heard > self.stall:
            if not self._silent:
                log.warning("machine_not_answering url=%s since=%s", self.link.url, heard)
                self._silent = True
                return [Observation(time=now, state=MachineState.UNKNOWN)]
        elif self._silent:
            log.warning("machine_answering_again url=%s", self.link.url)
            self._silent = False
        return []

    def _await_answer(self, seconds: float, query: bytes, wanted: Callable[[str], bool]) -> bool:
        """Send `query` until a line satisfying `wanted` arrives; lines stay queued for `poll`."""
        deadline = self.clock() + timedelta(seconds=seconds)
        self._connected_at = self.clock()
        while self.clock() < deadline:
            self.link.arrived.clear()
            self.link.write(query)
            self.link.arrived.wait(0.25)
            if any(wanted(text) for text in self.link.peek()):
                return True
            if self.link.failure:
                return False
        return False


class GrblMachine(SerialMachine):
    """A GRBL 1.1 controller: waits for the banner (or a status report), then polls `?`."""

    def __init__(
        self,
        link: SerialLink,
        clock: Callable[[], datetime],
        *,
        banner_seconds: float = 3.0,
        stall_seconds: float = 3.0,
    ) -> None:
        super().__init__(link, clock, stall_seconds=stall_seconds)
        self.banner_seconds = banner_seconds
        self.version: str | None = None

    def connect(self) -> None:
        self.link.open()
        answered = self._await_answer(
            self.banner_seconds,
            grbl.STATUS_POLL,
            lambda text: text.startswith("Grbl ") or text.startswith("<"),
        )
        if not answered:
            self.link.close()
            raise MachineUnavailable(f"no GRBL banner nor status on {self.link.url}")
        # A banner while connecting is the controller starting: not a reset during a job.
        lines = self.link.lines()
        for _, text in lines:
            reading = grbl.parse_line(text)
            if isinstance(reading, grbl.Banner):
                self.version = reading.version
        self.link.unread([(t, x) for t, x in lines if not x.startswith("Grbl ")])

    def poll(self) -> list[Observation]:
        observations = [self._observe(time, text) for time, text in self.link.lines()]
        self.link.write(grbl.STATUS_POLL)
        found = [obs for obs in observations if obs is not None]
        return found + self._silence(self.clock())

    def _observe(self, time: datetime, text: str) -> Observation | None:
        reading = grbl.parse_line(text)
        if isinstance(reading, grbl.Status):
            return status_observation(time, reading)
        if isinstance(reading, grbl.Alarm):
            return Observation(time=time, state=MachineState.ALARM, detail=f"ALARM:{reading.code}")
        if isinstance(reading, grbl.Banner):
            self.version = reading.version
            return Observation(
                time=time,
                state=MachineState.IDLE,
                outcome=Outcome.FAILED,
                detail="controller reset",
            )
        return None


_GRBL_STATES = {
    "Idle": MachineState.IDLE,
    "Run": MachineState.RUNNING,
    "Hold": MachineState.PAUSED,
    "Door": MachineState.PAUSED,
    "Alarm": MachineState.ALARM,
    "Check": MachineState.IDLE,
    "Home": MachineState.IDLE,
    "Sleep": MachineState.IDLE,
}


def status_observation(time: datetime, status: grbl.Status) -> Observation:
    """A GRBL status report as an observation: laser on = Run or Jog with power > 0."""
    working = status.state in ("Run", "Jog")
    active = working and status.spindle > 0
    if status.state == "Jog":
        state = MachineState.RUNNING if active else MachineState.IDLE
    else:
        state = _GRBL_STATES.get(status.state, MachineState.UNKNOWN)
    detail = None
    if state in (MachineState.PAUSED, MachineState.ALARM):
        detail = status.state if status.substate is None else f"{status.state}:{status.substate}"
    return Observation(time=time, state=state, active=active, detail=detail)


class MarlinMachine(SerialMachine):
    """A Marlin printer printing from its SD card: `M27` (progress), `M27 C` (file), `M105`."""

    def __init__(self, link: SerialLink, clock: Callable[[], datetime]) -> None:
        super().__init__(link, clock, stall_seconds=10.0)
        self.file: str | None = None
        self.printing = False

    def connect(self) -> None:
        self.link.open()
        if not self._await_answer(3.0, b"M105\n", lambda text: text.startswith("ok")):
            self.link.close()
            raise MachineUnavailable(f"no Marlin answer on {self.link.url}")
        self.link.write(b"M27 C\n")

    def poll(self) -> list[Observation]:
        found: list[Observation] = []
        for time, text in self.link.lines():
            obs = self._observe(time, marlin.parse_line(text))
            if obs is not None:
                found.append(obs)
        self.link.write(b"M27\nM105\n" if self.file or not self.printing else b"M27 C\nM27\n")
        return found + self._silence(self.clock())

    def _observe(self, time: datetime, reading: marlin.MarlinLine) -> Observation | None:
        if isinstance(reading, marlin.SdProgress):
            self.printing = True
            return Observation(
                time=time,
                state=MachineState.RUNNING,
                active=True,
                job_key=self.file,
                job_name=self.file,
                progress=reading.fraction,
            )
        if isinstance(reading, marlin.FileOpened | marlin.CurrentFile):
            self.file = reading.name
            return None
        if isinstance(reading, marlin.DonePrinting):
            self.printing = False
            return Observation(
                time=time,
                state=MachineState.IDLE,
                outcome=Outcome.DONE,
                job_name=self.file,
                progress=1.0,
            )
        if isinstance(reading, marlin.NotSdPrinting):
            outcome = Outcome.CANCELLED if self.printing else None
            self.printing = False
            return Observation(time=time, state=MachineState.IDLE, outcome=outcome)
        if isinstance(reading, marlin.Failure):
            self.printing = False
            return Observation(time=time, state=MachineState.ALARM, detail=reading.text)
        if isinstance(reading, marlin.Started):
            was_printing, self.printing = self.printing, False
            return Observation(
                time=time,
                state=MachineState.IDLE,
                outcome=Outcome.FAILED if was_printing else None,
                detail="printer reset",
            )
        return None


class MeterMachine(SerialMachine):
    """A usage meter speaking docs/meter-protocol.md: `ON`, `OFF`, `W <watts>`."""

    def __init__(self, link: SerialLink, clock: Callable[[], datetime]) -> None:
        super().__init__(link, clock, stall_seconds=10.0)
        self.name: str | None = None
        self.watts: float | None = None
        self._on = False

    def connect(self) -> None:
        self.link.open()
        if not self._await_answer(3.0, meter.QUERY, lambda t: t.split("*")[0] in ("ON", "OFF")):
            self.link.close()
            raise MachineUnavailable(f"no usage meter answer on {self.link.url}")

    def poll(self) -> list[Observation]:
        found: list[Observation] = []
        for time, text in self.link.lines():
            reading = meter.parse_line(text)
            if isinstance(reading, meter.On | meter.Off):
                self._on = isinstance(reading, meter.On)
                state = MachineState.RUNNING if self._on else MachineState.IDLE
                found.append(Observation(time=time, state=state, active=self._on))
            elif isinstance(reading, meter.Power):
                self.watts = reading.watts
            elif isinstance(reading, meter.Hello):
                self.name = reading.name
        self.link.write(meter.QUERY)
        return found + self._silence(self.clock())
