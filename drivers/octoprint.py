"""OctoPrint adapter (httpx): print events and `/api/job` turned into observations.

A session per print job. Its start and end come from OctoPrint's push API (`PrintStarted`,
`PrintDone`, `PrintCancelled`, `PrintFailed`: drivers/octoprint_push.py) as they happen, with
`/api/job` polled as the fallback (progress, print time, a missed event). How a job ended is read
from OctoPrint's own records, the file's `GET /api/files/<origin>/<path>`: `prints.last`
(success, `printTime`) and `gcodeAnalysis.filament` (the length per tool, summed; grams by the
configured diameter and density). OctoPrint writes the record just after the event and, for an
upload-and-print (how PrusaSlicer, Cura and OrcaSlicer send a job), analyses the file only once
the print is over: the end is held back until both are there, `record_wait_seconds` at most.

Failed (`Error` / `Offline after error`, a disconnect while printing) ends at once. When
OctoPrint goes away the session stays open (contact lost); the tracker continues it if the same
job still prints afterwards. When the driver starts (or OctoPrint answers again) with the job's
file still selected, its `prints.last` tells how a print that ended meanwhile went: the tracker
ends the open session with that outcome and print time (`Observation.ended_at`), not as
interrupted.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from drivers.errors import MachineUnavailable
from drivers.octoprint_push import PushEvent, PushListener
from drivers.sessions import WORKING, Observation
from drivers.uplink import tls_for
from drivers.wire import MachineState, Outcome

log = logging.getLogger(__name__)

_RUNNING = {
    "Printing",
    "Printing from SD",
    "Starting",
    "Starting print from SD",
    "Finishing",
    "Resuming",
    "Sending file to SD",
    "Starting to send file to SD",
}
_PAUSED = {"Pausing", "Paused", "Cancelling"}
_FAILED = {"Error", "Offline after error"}
_OFFLINE = {
    "Offline",
    "Closed",
    "Opening serial connection",
    "Detecting serial connection",
    "Connecting",
    "Detecting baudrate",
}


def grams(length_mm: float, diameter_mm: float, density_g_cm3: float) -> float:
    """Filament length -> grams: the cylinder's volume (mm³ -> cm³) times the density."""
    return length_mm * math.pi * (diameter_mm / 2) ** 2 / 1000 * density_g_cm3


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def filament_length(filament: Any) -> float | None:
    """`{"tool0": {"length": mm, "volume": cm³}, "tool1": …}` -> the tools' lengths summed."""
    if not isinstance(filament, dict):
        return None
    tools = [tool for tool in filament.values() if isinstance(tool, dict)]
    return sum(_number(tool.get("length")) or 0.0 for tool in tools) or None


@dataclass(frozen=True, slots=True)
class FileRecord:
    """What OctoPrint keeps of a file: its analysis and its last print (`prints.last`)."""

    length_mm: float | None
    last_date: float | None
    """When the last print ended (epoch seconds, OctoPrint's clock)."""
    last_success: bool | None
    last_print_time: float | None

    @classmethod
    def parse(cls, data: dict[str, Any]) -> FileRecord:
        analysis = data.get("gcodeAnalysis") or {}
        last = (data.get("prints") or {}).get("last") or {}
        success = last.get("success")
        return cls(
            length_mm=filament_length(analysis.get("filament")),
            last_date=_number(last.get("date")),
            last_success=success if isinstance(success, bool) else None,
            last_print_time=_number(last.get("printTime")),
        )


@dataclass(slots=True)
class _Job:
    """The job this connection follows, from its first sight to its end."""

    origin: str
    path: str
    name: str | None
    baseline: float | None
    """`prints.last.date` of the file when the job was first seen: a newer record is this job's."""
    length_mm: float | None = None
    fraction: float | None = None
    cancelling: bool = False

    @property
    def key(self) -> str:
        return f"{self.origin}:{self.path}"


@dataclass(slots=True)
class _Ending:
    """A job that ended, held back until OctoPrint has recorded it (or the wait is over)."""

    job: _Job
    outcome: Outcome
    time: datetime
    print_time: float | None
    fraction: float | None
    deadline: datetime
    ended_at: datetime | None = None
    """OctoPrint's time of the end, for a print that ended while the driver was away."""
    fallback_time: float | None = None
    """`job.lastPrintTime` when a poll saw the end: used if OctoPrint never records the print."""


class OctoPrintMachine:
    def __init__(
        self,
        client: httpx.Client,
        clock: Callable[[], datetime],
        *,
        filament_diameter_mm: float = 1.75,
        filament_density_g_cm3: float = 1.24,
        push: bool = True,
        record_wait_seconds: float = 120.0,
    ) -> None:
        self.client = client
        self.clock = clock
        self.diameter = filament_diameter_mm
        self.density = filament_density_g_cm3
        self.record_wait = timedelta(seconds=record_wait_seconds)
        self.push = PushListener(client, clock, tls=tls_for(str(client.base_url))) if push else None
        self._job: _Job | None = None
        self._ending: _Ending | None = None
        self._ready: list[Observation] = []
        self._held: list[Observation] = []
        """Observations after a held-back ending: released after it, in order."""
        self._latest: datetime | None = None
        self._fresh = True
        self._finished: str | None = None
        """The job an event just ended, while `/api/job` may still show it (`Finishing`)."""

    def _get(self, path: str, *, missing_ok: bool = False) -> Any:
        try:
            response = self.client.get(path)
        except httpx.HTTPError as error:
            raise MachineUnavailable(f"OctoPrint unreachable: {type(error).__name__}") from error
        if response.status_code in (401, 403):
            raise MachineUnavailable("OctoPrint refuses the API key")
        if missing_ok and response.status_code == 404:
            return None
        if response.status_code != 200:
            raise MachineUnavailable(f"OctoPrint answered {response.status_code}")
        try:
            return response.json()
        except ValueError as error:
            raise MachineUnavailable("OctoPrint answered something that is not JSON") from error

    def record(self, origin: str, path: str) -> FileRecord | None:
        data = self._get(f"/api/files/{quote(origin)}/{quote(path)}", missing_ok=True)
        return FileRecord.parse(data) if isinstance(data, dict) else None

    def connect(self) -> None:
        version = self._get("/api/version")
        log.info("octoprint_connected version=%s", version.get("server"))
        self._job = self._ending = None
        self._ready, self._held = [], []
        self._fresh = True
        if self.push is not None:
            self.push.start()

    def close(self) -> None:
        self._job = None
        if self.push is not None:
            self.push.stop()

    def poll(self) -> list[Observation]:
        if self.push is not None:
            for event in self.push.drain():
                self._on_event(event)
        data = self._get("/api/job")
        now = self.clock()
        if self._fresh:
            self._fresh = False
            self._recorded_while_away(now, data)
        self._emit(self.observation(now, data))
        self._settle(now)
        found, self._ready = self._ready, []
        return found

    # -- what comes in ------------------------------------------------------------------------

    def _on_event(self, event: PushEvent) -> None:
        time, kind, payload = event
        origin, path = payload.get("origin"), payload.get("path")
        if not isinstance(origin, str) or not isinstance(path, str):
            return
        if kind == "PrintStarted":
            self._finished = None
            started = self._follow(origin, path, payload.get("name"))
            self._emit(
                Observation(
                    time=time,
                    state=MachineState.RUNNING,
                    active=True,
                    job_key=started.key,
                    job_name=started.name,
                )
            )
            return
        job = self._job
        if job is None or job.key != f"{origin}:{path}":
            return  # a job already ended by a poll, or never seen start
        progress = _number(payload.get("progress"))
        self._finished = job.key
        if kind == "PrintDone":
            self._end(time, Outcome.DONE, _number(payload.get("time")), 1.0)
        elif kind == "PrintCancelled" or payload.get("reason") == "cancelled":
            fraction = job.fraction if progress is None else progress / 100  # an int percent
            self._end(time, Outcome.CANCELLED, _number(payload.get("time")), fraction)
        else:
            if progress is not None:
                job.fraction = progress  # a 0-1 float when the print failed on an error
            self._emit(self._failed(time, str(payload.get("error") or "print failed")))

    def _recorded_while_away(self, now: datetime, data: dict[str, Any]) -> None:
        """How the file left selected was last printed: it ends a session left open meanwhile
        (the tracker takes it only for its own job, ended after the session began)."""
        file = (data.get("job") or {}).get("file") or {}
        origin, path = file.get("origin"), file.get("path")
        if data.get("state") != "Operational" or not origin or not path:
            return
        record = self.record(origin, path)
        if record is None or record.last_date is None or record.last_success is None:
            return
        name = file.get("display") or file.get("name")
        job = _Job(origin, path, name, baseline=record.last_date - 0.001)
        self._ending = _Ending(
            job,
            Outcome.DONE if record.last_success else Outcome.FAILED,
            max(now, self._latest or now),
            record.last_print_time,
            1.0 if record.last_success else None,
            now + self.record_wait,
            ended_at=datetime.fromtimestamp(record.last_date, UTC),
        )

    def observation(self, now: datetime, data: dict[str, Any]) -> Observation | None:
        """One `/api/job` answer -> an observation; None when it ended the job followed."""
        state = str(data.get("state") or "Offline")
        job_data = data.get("job") or {}
        file = job_data.get("file") or {}
        progress = data.get("progress") or {}
        origin, path = file.get("origin"), file.get("path")
        completion = _number(progress.get("completion"))
        fraction = None if completion is None else min(1.0, max(0.0, completion / 100))
        if state.startswith("Offline after error") or state in _FAILED:
            if self._job is None:
                return Observation(time=now, state=MachineState.OFFLINE, detail=state)
            return self._failed(now, str(data.get("error") or state))
        if state in _RUNNING or state in _PAUSED:
            if self._finished is not None and self._finished == f"{origin}:{path}":
                return None  # `Finishing` after the job's end event: its tail, not a new job
            job = self._follow(origin, path, file.get("display")) if origin and path else None
            if job is not None:
                job.cancelling = job.cancelling or state == "Cancelling"
                job.length_mm = filament_length(job_data.get("filament")) or job.length_mm
                job.fraction = fraction if fraction is not None else job.fraction
            length = job.length_mm if job else None
            material = length * fraction if length is not None and fraction is not None else None
            return Observation(
                time=now,
                state=MachineState.RUNNING if state in _RUNNING else MachineState.PAUSED,
                active=state in _RUNNING and state != "Starting",
                job_key=job.key if job else None,
                job_name=file.get("display") or file.get("name"),
                progress=fraction,
                active_seconds=_number(progress.get("printTime")),
                material_mm=material,
                material_g=self._grams(material),
                detail=state if state in _PAUSED else None,
            )
        self._finished = None
        if state == "Operational" and self._job is not None:
            # The job we followed ended between two polls (no event came): done at 100 %.
            if self._job.cancelling or fraction is None or fraction < 1.0:
                self._end(now, Outcome.CANCELLED, None, self._job.fraction)
            else:
                self._end(now, Outcome.DONE, None, 1.0, _number(job_data.get("lastPrintTime")))
            return None
        if state in _OFFLINE and self._job is not None:
            return self._failed(now, "printer disconnected")
        if state in _OFFLINE:
            return Observation(time=now, state=MachineState.OFFLINE, detail=state)
        return Observation(time=now, state=MachineState.IDLE)

    # -- jobs ---------------------------------------------------------------------------------

    def _follow(self, origin: str, path: str, name: Any) -> _Job:
        """The job printing `origin:path`, with the file's last record as its baseline."""
        job = self._job
        if job is None or job.key != f"{origin}:{path}":
            record = self.record(origin, path)
            job = _Job(
                origin=origin,
                path=path,
                name=name if isinstance(name, str) else path,
                baseline=record.last_date if record else None,
                length_mm=record.length_mm if record else None,
            )
            self._job = job
        return job

    def _failed(self, time: datetime, detail: str) -> Observation:
        """The job followed failed (firmware error, printer gone): ends at once."""
        job, self._job = self._job, None
        length, fraction = (job.length_mm, job.fraction) if job else (None, None)
        material = length * fraction if length is not None and fraction is not None else None
        return Observation(
            time=time,
            state=MachineState.ALARM if job else MachineState.OFFLINE,
            outcome=Outcome.FAILED if job else None,
            job_key=job.key if job else None,
            material_mm=material,
            material_g=self._grams(material),
            detail=detail[:500],
        )

    def _end(
        self,
        time: datetime,
        outcome: Outcome,
        print_time: float | None,
        fraction: float | None,
        fallback_time: float | None = None,
    ) -> None:
        job, self._job = self._job, None
        assert job is not None
        if self._ending is not None:
            self._settle(time, force=True)
        time = max(time, self._latest or time)
        deadline = time + self.record_wait
        self._ending = _Ending(
            job, outcome, time, print_time, fraction, deadline, fallback_time=fallback_time
        )

    def _settle(self, now: datetime, *, force: bool = False) -> None:
        """Release the held ending once OctoPrint recorded the print and analysed the file."""
        ending = self._ending
        if ending is None:
            return
        job = ending.job
        record = self.record(job.origin, job.path)
        recorded = (
            record is not None
            and record.last_date is not None
            and (job.baseline is None or record.last_date > job.baseline)
        )
        length = (record.length_mm if record else None) or job.length_mm
        next_job = any(o.state in WORKING and o.job_key != job.key for o in self._held)
        timed = ending.print_time is not None or recorded
        complete = timed and (length is not None or ending.fraction is None)
        if not (complete or force or next_job or now >= ending.deadline):
            return
        print_time = ending.print_time  # an end event's `time` is what OctoPrint records
        if print_time is None and recorded and record is not None:
            print_time = record.last_print_time
        print_time = ending.fallback_time if print_time is None else print_time
        fraction = ending.fraction
        material = length * fraction if length is not None and fraction is not None else None
        self._ending = None
        self._ready.append(
            Observation(
                time=ending.time,
                state=MachineState.IDLE,
                outcome=ending.outcome,
                job_key=job.key,
                job_name=job.name,
                active_seconds=print_time,
                material_mm=material,
                material_g=self._grams(material),
                ended_at=ending.ended_at,
                detail="OctoPrint recorded it as unsuccessful"
                if ending.ended_at and ending.outcome is Outcome.FAILED
                else None,
            )
        )
        self._ready += self._held
        self._held = []

    def _emit(self, obs: Observation | None) -> None:
        """Observations go out in time order; after a held-back ending, they wait behind it."""
        if obs is None:
            return
        if self._latest is not None and obs.time < self._latest:
            obs = replace(obs, time=self._latest)
        self._latest = obs.time
        (self._held if self._ending is not None else self._ready).append(obs)

    def _grams(self, length_mm: float | None) -> float | None:
        if length_mm is None:
            return None
        return round(grams(length_mm, self.diameter, self.density), 3)


def make_client(url: str, api_key: str, timeout: float = 5.0) -> httpx.Client:
    return httpx.Client(
        base_url=url.rstrip("/"),
        headers={"X-Api-Key": api_key},
        timeout=timeout,
        verify=tls_for(url),
    )
