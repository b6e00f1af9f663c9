"""Serial machine adapters: GRBL lasers, Marlin printers printing from SD, usage meters.

Each one opens its port (`serial_for_url`), polls it, and turns the parsed lines into
`Observation`s for the session tracker. None of them sends anything that could disturb a job:
GRBL gets only the real-time `?`; Marlin gets `M27`/`M105` one at a time, or nothing but the
auto-report requests when its firmware offers them; a meter gets `?`.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from time import monotonic
from typing import Protocol

from drivers.errors import MachineUnavailable
from drivers.link import SerialLink
from drivers.protocols import grbl, marlin, meter
from drivers.sessions import Observation
from drivers.wire import MachineState, Outcome

log = logging.getLogger(__name__)

RESEND_SECONDS = 1.0
"""A connecting driver asks again after this long without a line from the machine."""


class Machine(Protocol):
    """What the coordinator needs from any machine adapter."""

    def connect(self) -> None:
        """Open the link and make sure the machine answers; raises MachineUnavailable."""

    def poll(self) -> list[Observation]:
        """What was learnt since the last poll; raises MachineUnavailable."""

    def close(self) -> None: ...


class SerialMachine:
    """Common ground: a `SerialLink`, a silence watchdog (a stalled machine is not a gone port).

    Silences and waits are measured on the monotonic clock: a Pi's wall clock jumps when NTP sets
    it (from 1970), and a jump is not a machine that stopped answering."""

    def __init__(
        self,
        link: SerialLink,
        clock: Callable[[], datetime],
        *,
        stall_seconds: float = 5.0,
    ) -> None:
        self.link = link
        self.clock = clock
        self.stall_seconds = stall_seconds
        self._silent = False
        self._connected_at: float | None = None

    def close(self) -> None:
        self.link.close()

    def _silence(self, now: datetime) -> list[Observation]:
        at = monotonic()
        heard = self.link.heard_at or self._connected_at or at
        if at - heard > self.stall_seconds:
            if not self._silent:
                since = self.link.last_heard or now - timedelta(seconds=at - heard)
                log.warning("machine_not_answering url=%s since=%s", self.link.url, since)
                self._silent = True
                return [Observation(time=now, state=MachineState.UNKNOWN)]
        elif self._silent:
            log.warning("machine_answering_again url=%s", self.link.url)
            self._silent = False
        return []

    def _await_answer(
        self,
        seconds: float,
        query: bytes,
        wanted: Callable[[str], bool],
        restarted: Callable[[str], bool] = lambda text: False,
    ) -> bool:
        """Send `query` until a line satisfying `wanted` arrives; lines stay queued for `poll`.

        The query goes again only when it was surely lost: the machine restarted after it went
        (`restarted`: a board resets when its port opens), or the line stayed silent for
        RESEND_SECONDS. Any other line (a greeting, an echo) is no answer and no loss: sending
        again on it put a second `M115` in a slow Marlin's buffer, whose `ok` then answered
        the next command in the driver's place."""
        self._connected_at = monotonic()
        deadline = self._connected_at + seconds
        while monotonic() < deadline:
            self.link.arrived.clear()
            sent_after = len(self.link.peek())
            self.link.write(query)
            resend_at = monotonic() + RESEND_SECONDS
            while True:
                texts = self.link.peek()
                if any(wanted(text) for text in texts):
                    return True
                if self.link.failure:
                    return False
                if any(restarted(text) for text in texts[sent_after:]):
                    break
                left = min(deadline, resend_at) - monotonic()
                if left <= 0:
                    break
                if self.link.arrived.wait(min(left, 0.25)):
                    self.link.arrived.clear()
                    resend_at = monotonic() + RESEND_SECONDS
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
    """A GRBL status report as an observation: the laser works = Run or Jog with power.

    Power is the `FS` spindle value above 0 with the spindle on (`A:S` for M3, `A:C` for M4).
    Moving with the beam off (framing, a rapid, a jog) is not usage: in Run it continues an
    open job (the rapids between two cuts) but never starts one; a jog is idle.
    """
    working = status.state in ("Run", "Jog")
    active = working and status.spindle > 0 and any(c in status.accessories for c in "SC")
    if status.state == "Jog":
        state = MachineState.RUNNING if active else MachineState.IDLE
    else:
        state = _GRBL_STATES.get(status.state, MachineState.UNKNOWN)
    detail = None
    if state in (MachineState.PAUSED, MachineState.ALARM):
        detail = status.state if status.substate is None else f"{status.state}:{status.substate}"
    return Observation(time=time, state=state, active=active, detail=detail, can_start=active)


class MarlinMachine(SerialMachine):
    """A Marlin printer printing from its SD card, spoken to as OctoPrint and Pronterface do.

    One command at a time: the next one goes only after the `ok` of the last, or after
    `ok_timeout_seconds` of silence; `busy: processing` lines (the firmware in M109, M190, G29)
    restart that wait, so polls never pile up in the printer's buffer while it heats or probes.
    When `M115` announces `Cap:AUTOREPORT_SD_STATUS:1` / `Cap:AUTOREPORT_TEMP:1`, the printer is
    asked once to report its SD progress (`M27 S<n>`) and temperatures (`M155 S<n>`) by itself,
    and nothing is polled; otherwise each poll asks `M27` (progress) and `M105` in turn. `M27 C`
    names the file when a print started from the printer's own menu.
    """

    def __init__(
        self,
        link: SerialLink,
        clock: Callable[[], datetime],
        *,
        report_seconds: int = 2,
        ok_timeout_seconds: float = 5.0,
    ) -> None:
        super().__init__(link, clock, stall_seconds=10.0)
        self.file: str | None = None
        self.printing = False
        self.report_seconds = report_seconds
        self.ok_timeout = timedelta(seconds=ok_timeout_seconds)
        self.capabilities: set[str] = set()
        self._queue: deque[bytes] = deque()
        self._waiting: tuple[bytes, datetime] | None = None
        """The command sent and not yet answered, and when to stop waiting for its `ok`."""

    def connect(self) -> None:
        self.link.open()
        answered = self._await_answer(
            3.0, b"M115\n", lambda text: text.startswith("ok"), lambda text: text == "start"
        )
        if not answered:
            self.link.close()
            raise MachineUnavailable(f"no Marlin answer on {self.link.url}")
        self._waiting = None
        self._queue.clear()
        self.capabilities.clear()
        for text in self.link.peek():
            self._learn(marlin.parse_line(text))
        self._set_up()

    def _learn(self, reading: marlin.MarlinLine) -> None:
        if isinstance(reading, marlin.Capability):
            if reading.enabled:
                self.capabilities.add(reading.name)
            else:
                self.capabilities.discard(reading.name)

    def _set_up(self) -> None:
        """Ask for the auto-reports the firmware has; learn the file of a print under way."""
        every = self.report_seconds
        if "AUTOREPORT_SD_STATUS" in self.capabilities:
            self._queue.append(f"M27 S{every}\n".encode())
        if "AUTOREPORT_TEMP" in self.capabilities:
            self._queue.append(f"M155 S{every}\n".encode())
        self._queue.append(b"M27 C\n")

    def _routine(self) -> list[bytes]:
        """What a poll asks when nothing is queued: only what the firmware does not report."""
        commands = []
        if self.printing and self.file is None:
            commands.append(b"M27 C\n")
        if "AUTOREPORT_SD_STATUS" not in self.capabilities:
            commands.append(b"M27\n")
        if "AUTOREPORT_TEMP" not in self.capabilities:
            commands.append(b"M105\n")
        return commands

    def poll(self) -> list[Observation]:
        found: list[Observation] = []
        for time, text in self.link.lines():
            reading = marlin.parse_line(text)
            if text.startswith("ok") and self._waiting is not None:
                if self._waiting[0] == b"M115\n":
                    self._set_up()  # after a reset: the auto-reports are off again
                self._waiting = None
            elif isinstance(reading, marlin.Busy) and self._waiting is not None:
                self._waiting = (self._waiting[0], time + self.ok_timeout)
            self._learn(reading)
            obs = self._observe(time, reading)
            if obs is not None:
                found.append(obs)
        self._send_next(self.clock())
        return found + self._silence(self.clock())

    def _send_next(self, now: datetime) -> None:
        if self._waiting is not None:
            if now < self._waiting[1]:
                return
            log.info("marlin_no_ok command=%s: going on", self._waiting[0].decode().strip())
            self._waiting = None
        if not self._queue:
            self._queue.extend(self._routine())
        if self._queue:
            command = self._queue.popleft()
            self.link.write(command)
            self._waiting = (command, now + self.ok_timeout)

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
            self.capabilities.clear()
            self._queue.clear()
            self._queue.append(b"M115\n")
            self._waiting = None
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
