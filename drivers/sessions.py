"""Usage-session detection (pure): observations of a machine -> session events.

Every machine adapter (GRBL, Marlin, meter, OctoPrint) turns what it reads into `Observation`s;
one `SessionTracker` per machine turns them into wire `Event`s: a session starts when the machine
runs a job, reports progress now and then, and ends once, with an outcome. The clock is the
observation's time and ids come from `new_id`, so the rules are testable with any sequence.

Contact lost (driver restart, port pulled, OctoPrint down): the open session stays open; when the
machine is seen again on the same job, the session continues; otherwise it ends as `interrupted`
at the last time the machine was seen working. Time while contact was lost is never counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from drivers.wire import Event, EventKind, MachineState, Outcome, Readings

WORKING = (MachineState.RUNNING, MachineState.PAUSED)


@dataclass(frozen=True, slots=True)
class Observation:
    """What the driver knows about the machine at one moment."""

    time: datetime
    state: MachineState
    active: bool = False
    """The machine does work now: laser on, printing, current above threshold."""
    job_key: str | None = None
    """Tells jobs apart (file name on an SD card, OctoPrint job path); None when unknown."""
    job_name: str | None = None
    progress: float | None = None
    """0..1 through the job when the machine says; a drop means a new job."""
    active_seconds: float | None = None
    """The machine's own count of working seconds (OctoPrint printTime), when it has one."""
    material_mm: float | None = None
    material_g: float | None = None
    outcome: Outcome | None = None
    """The machine said the job ended, and how."""
    detail: str | None = None
    can_start: bool = True
    """False: the machine moves but does no work yet (a laser framing or jogging with its beam
    off); it continues an open session but never starts one."""
    ended_at: datetime | None = None
    """With an outcome: when the machine's own record says the job ended (OctoPrint's history),
    if it ended before `time` (while the driver was away)."""


@dataclass(slots=True)
class OpenSession:
    id: UUID
    started_at: datetime
    last_time: datetime
    """The last time the machine was seen on this job: the end if the session is interrupted."""
    active_seconds: float = 0.0
    job_key: str | None = None
    job_name: str | None = None
    progress: float | None = None
    material_mm: float | None = None
    material_g: float | None = None
    state: MachineState = MachineState.RUNNING
    detail: str | None = None
    last_report: datetime | None = None
    contact_lost: bool = False
    idle_since: datetime | None = None
    known_start: datetime | None = None
    """The start on a clock that was right, while the session's times are on one behind it (a
    Pi restored at 1970): it comes back when that clock is set (`clock_jumped`)."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name, value in data.items():
            if isinstance(value, datetime):
                data[name] = value.isoformat()
        data["id"] = str(self.id)
        data["state"] = self.state.value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OpenSession:
        values = dict(data)
        for name in ("started_at", "last_time", "last_report", "idle_since", "known_start"):
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(values[name])
        values["id"] = UUID(values["id"])
        values["state"] = MachineState(values["state"])
        return cls(**values)


class SessionTracker:
    """One machine's session state machine. Feed it observations in time order."""

    def __init__(
        self,
        new_id: Callable[[], UUID],
        *,
        idle_grace_seconds: float = 0.0,
        progress_seconds: float = 60.0,
        max_gap_seconds: float = 10.0,
        lost_contact_seconds: float = 900.0,
        session: OpenSession | None = None,
    ) -> None:
        self.new_id = new_id
        self.idle_grace = timedelta(seconds=idle_grace_seconds)
        self.progress_every = timedelta(seconds=progress_seconds)
        self.max_gap = max_gap_seconds
        self.lost_contact_limit = timedelta(seconds=lost_contact_seconds)
        self.session = session
        if session is not None:
            session.contact_lost = True
        self._previous: Observation | None = None
        self._state: MachineState | None = None

    @property
    def state(self) -> MachineState:
        return self._state or MachineState.UNKNOWN

    def snapshot(self) -> dict[str, Any] | None:
        """What must survive a restart: the open session, if any (stored with its events)."""
        return self.session.to_json() if self.session else None

    def clock_jumped(self, seconds: float) -> None:
        """The wall clock jumped by `seconds` (NTP set a Pi's clock): the times kept move with
        it, so the jump counts as neither working nor idle time. Events already written keep
        their times (the outbox re-dates them on the way out)."""
        shift = timedelta(seconds=seconds)
        if self._previous is not None:
            self._previous = replace(self._previous, time=self._previous.time + shift)
        session = self.session
        if session is not None:
            session.started_at += shift
            session.last_time += shift
            if session.last_report is not None:
                session.last_report += shift
            if session.idle_since is not None:
                session.idle_since += shift
            if session.known_start is not None and session.known_start <= session.started_at:
                session.started_at, session.known_start = session.known_start, None

    def lose_contact(self, time: datetime) -> list[Event]:
        """The machine cannot be reached (port gone, OctoPrint down): nothing counts meanwhile."""
        return self.observe(Observation(time=time, state=MachineState.OFFLINE))

    def observe(self, obs: Observation) -> list[Event]:
        events: list[Event] = []
        previous, self._previous = self._previous, obs
        if obs.state is MachineState.ALARM and self._state is not MachineState.ALARM:
            events.append(
                self._event(
                    EventKind.FAULT,
                    None,
                    obs.time,
                    Readings(state=MachineState.ALARM, detail=obs.detail and obs.detail[:500]),
                )
            )
        self._state = obs.state
        session = self.session
        if session is not None and obs.state in (MachineState.OFFLINE, MachineState.UNKNOWN):
            session.contact_lost = True
            if obs.time - session.last_time > self.lost_contact_limit:
                events += self._end(Outcome.INTERRUPTED, session.last_time, "contact lost")
            return events
        if session is not None and session.contact_lost:
            session.contact_lost = False
            previous = None
            if not self._same_job(session, obs) and not self._recorded_end(session, obs):
                events += self._end(Outcome.INTERRUPTED, session.last_time, "contact lost")
                session = None
        if session is not None:
            events += self._follow(session, obs, previous)
        if (
            self.session is None
            and obs.state is MachineState.RUNNING
            and obs.outcome is None
            and obs.can_start
        ):
            events += self._start(obs)
        return events

    # -- the rules ----------------------------------------------------------------------------

    @staticmethod
    def _same_job(session: OpenSession, obs: Observation) -> bool:
        if obs.state not in WORKING:
            return False
        if session.job_key and obs.job_key and session.job_key != obs.job_key:
            return False
        return not (
            session.progress is not None
            and obs.progress is not None
            and obs.progress + 0.01 < session.progress
        )

    @staticmethod
    def _recorded_end(session: OpenSession, obs: Observation) -> bool:
        """The machine's own history tells how this session's job ended while we were away."""
        return (
            obs.outcome is not None
            and obs.ended_at is not None
            and session.job_key is not None
            and obs.job_key == session.job_key
            and obs.ended_at >= session.started_at
        )

    def _follow(
        self, session: OpenSession, obs: Observation, previous: Observation | None
    ) -> list[Event]:
        events: list[Event] = []
        if obs.state in WORKING and not self._same_job(session, obs):
            events += self._end(Outcome.DONE, session.last_time, "next job started")
            return events
        if previous is not None and previous.active and obs.time > previous.time:
            gap = (obs.time - previous.time).total_seconds()
            session.active_seconds += min(gap, self.max_gap)
        if obs.active_seconds is not None:  # the machine's own count wins over the driver's
            session.active_seconds = obs.active_seconds
        session.job_name = obs.job_name or session.job_name
        session.job_key = obs.job_key or session.job_key
        session.progress = obs.progress if obs.progress is not None else session.progress
        session.material_mm = (
            obs.material_mm if obs.material_mm is not None else session.material_mm
        )
        session.material_g = obs.material_g if obs.material_g is not None else session.material_g
        if obs.outcome is not None:
            if obs.ended_at is not None:
                end = max(session.last_time, min(obs.ended_at, obs.time))
            else:
                if obs.state in WORKING or obs.outcome is not Outcome.DONE:
                    session.last_time = max(session.last_time, obs.time)
                end = max(session.last_time, obs.time)
            if obs.active_seconds is not None:  # the machine's own count: the job lasted that long
                end = max(end, session.started_at + timedelta(seconds=obs.active_seconds))
            return self._end(obs.outcome, end, obs.detail)
        if obs.state is MachineState.ALARM:
            return self._end(Outcome.FAILED, obs.time, obs.detail or "alarm")
        if obs.state in WORKING:
            session.idle_since = None
            session.last_time = obs.time
            if obs.state is not session.state or (obs.detail or None) != session.detail:
                session.state, session.detail = obs.state, obs.detail
                events.append(self._progress(session, obs.time))
            elif (
                session.last_report is None or obs.time - session.last_report >= self.progress_every
            ):
                events.append(self._progress(session, obs.time))
            return events
        # idle: the job is over once the machine stayed idle for the grace period
        if session.idle_since is None:
            session.idle_since = obs.time
        if obs.time - session.idle_since >= self.idle_grace:
            return self._end(Outcome.DONE, session.idle_since, obs.detail)
        return events

    def _start(self, obs: Observation) -> list[Event]:
        session = OpenSession(
            id=self.new_id(),
            started_at=obs.time,
            last_time=obs.time,
            job_key=obs.job_key,
            job_name=obs.job_name,
            progress=obs.progress,
            material_mm=obs.material_mm,
            material_g=obs.material_g,
            active_seconds=obs.active_seconds or 0.0,
            detail=obs.detail,
            last_report=obs.time,
        )
        self.session = session
        readings = Readings(job_name=_name(session.job_name), state=MachineState.RUNNING)
        return [self._event(EventKind.SESSION_STARTED, session.id, obs.time, readings)]

    def _progress(self, session: OpenSession, time: datetime) -> Event:
        session.last_report = time
        return self._event(EventKind.SESSION_PROGRESS, session.id, time, self._readings(session))

    def _end(self, outcome: Outcome, time: datetime, detail: str | None) -> list[Event]:
        session = self.session
        assert session is not None
        self.session = None
        end = max(time, session.started_at)
        active = min(session.active_seconds, (end - session.started_at).total_seconds())
        final = replace(session, active_seconds=active, detail=detail)
        readings = self._readings(final).model_copy(update={"outcome": outcome})
        return [self._event(EventKind.SESSION_ENDED, session.id, end, readings)]

    @staticmethod
    def _readings(session: OpenSession) -> Readings:
        return Readings(
            active_seconds=math.floor(session.active_seconds * 1000 + 1e-6) / 1000,
            job_name=_name(session.job_name),
            material_mm=session.material_mm,
            material_g=session.material_g,
            state=session.state,
            detail=(session.detail or None) and session.detail[:500],
        )

    def _event(
        self, kind: EventKind, session_id: UUID | None, time: datetime, readings: Readings
    ) -> Event:
        return Event(
            id=self.new_id(), kind=kind, session_id=session_id, device_time=time, readings=readings
        )


def _name(name: str | None) -> str | None:
    return name[:255] if name else None
