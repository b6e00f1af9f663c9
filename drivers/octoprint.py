"""OctoPrint adapter (httpx): follows `/api/job` and turns print jobs into observations.

A session per print job: file name, start, end, print time (`progress.printTime`, and
`job.lastPrintTime` once done), filament used (the analysis' length x completion, in grams by the
configured diameter and density) and outcome: done (back to Operational at 100 %), cancelled
(Operational with progress reset), failed (`Error` / `Offline after error`, or a disconnect seen
while printing). When OctoPrint itself goes away the session stays open (contact lost); the
tracker continues it if the same job is still printing afterwards, or ends it as interrupted.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from drivers.errors import MachineUnavailable
from drivers.sessions import Observation
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


class OctoPrintMachine:
    def __init__(
        self,
        client: httpx.Client,
        clock: Callable[[], datetime],
        *,
        filament_diameter_mm: float = 1.75,
        filament_density_g_cm3: float = 1.24,
    ) -> None:
        self.client = client
        self.clock = clock
        self.diameter = filament_diameter_mm
        self.density = filament_density_g_cm3
        self._printing: str | None = None
        """The job (origin:path) seen printing by this connection, until it ends."""
        self._last: dict[str, Any] = {}
        self._cancelling = False

    def _get(self, path: str) -> Any:
        try:
            response = self.client.get(path)
        except httpx.HTTPError as error:
            raise MachineUnavailable(f"OctoPrint unreachable: {type(error).__name__}") from error
        if response.status_code in (401, 403):
            raise MachineUnavailable("OctoPrint refuses the API key")
        if response.status_code != 200:
            raise MachineUnavailable(f"OctoPrint answered {response.status_code}")
        try:
            return response.json()
        except ValueError as error:
            raise MachineUnavailable("OctoPrint answered something that is not JSON") from error

    def connect(self) -> None:
        version = self._get("/api/version")
        log.info("octoprint_connected version=%s", version.get("server"))
        self._printing = None
        self._cancelling = False

    def close(self) -> None:
        self._printing = None

    def poll(self) -> list[Observation]:
        data = self._get("/api/job")
        now = self.clock()
        return [self.observation(now, data)]

    def observation(self, now: datetime, data: dict[str, Any]) -> Observation:
        """One `/api/job` answer -> one observation (pure but for what it remembers of the job)."""
        state = str(data.get("state") or "Offline")
        job = data.get("job") or {}
        file = job.get("file") or {}
        progress = data.get("progress") or {}
        path = file.get("path")
        key = f"{file.get('origin')}:{path}" if path else None
        completion = _number(progress.get("completion"))
        fraction = None if completion is None else min(1.0, max(0.0, completion / 100))
        filament = job.get("filament") or {}
        length = (
            sum(
                _number(tool.get("length")) or 0.0
                for tool in filament.values()
                if isinstance(tool, dict)
            )
            or None
        )
        if state.startswith("Offline after error") or state in _FAILED:
            ended = self._printing is not None
            self._printing = None
            return Observation(
                time=now,
                state=MachineState.ALARM if ended else MachineState.OFFLINE,
                outcome=Outcome.FAILED if ended else None,
                detail=str(data.get("error") or state)[:500],
            )
        if state in _RUNNING or state in _PAUSED:
            if state == "Cancelling":
                self._cancelling = True
            self._printing = key
            self._last = {"length": length, "fraction": fraction, "name": file.get("display")}
            material = length * fraction if length is not None and fraction is not None else None
            return Observation(
                time=now,
                state=MachineState.RUNNING if state in _RUNNING else MachineState.PAUSED,
                active=state in _RUNNING and state != "Starting",
                job_key=key,
                job_name=file.get("display") or file.get("name"),
                progress=fraction,
                active_seconds=_number(progress.get("printTime")),
                material_mm=material,
                material_g=self._grams(material),
                detail=state if state in _PAUSED else None,
            )
        if state == "Operational" and self._printing is not None:
            # The job we followed just ended: done at 100 %, otherwise cancelled.
            self._printing = None
            cancelled = self._cancelling or fraction is None or fraction < 1.0
            self._cancelling = False
            total = self._last.get("length")
            done_fraction = 1.0 if not cancelled else self._last.get("fraction")
            material = (
                total * done_fraction if total is not None and done_fraction is not None else None
            )
            return Observation(
                time=now,
                state=MachineState.IDLE,
                outcome=Outcome.CANCELLED if cancelled else Outcome.DONE,
                job_name=self._last.get("name"),
                active_seconds=None if cancelled else _number(job.get("lastPrintTime")),
                material_mm=material,
                material_g=self._grams(material),
            )
        if state in _OFFLINE and self._printing is not None:
            self._printing = None
            return Observation(
                time=now,
                state=MachineState.ALARM,
                outcome=Outcome.FAILED,
                detail="printer disconnected",
            )
        if state in _OFFLINE:
            return Observation(time=now, state=MachineState.OFFLINE, detail=state)
        return Observation(time=now, state=MachineState.IDLE)

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
