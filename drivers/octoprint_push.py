"""OctoPrint's push API: its print events as they happen, so a print shorter than a poll is seen.

OctoPrint pushes over SockJS; its raw websocket is `/sockjs/websocket` (plain JSON messages, no
SockJS framing). The listener logs in passively with the API key (`POST /api/login
{"passive": true}` -> the user's name and a session), sends `{"auth": "name:session"}`, then
subscribes to the print events only (no state, logs or plugin messages: nothing to parse twice a
second on a Pi). Messages look like `{"event": {"type": "PrintDone", "payload": {...}}}`.

It runs in its own thread and reconnects on its own; `/api/job` polling stays the fallback, so a
lost websocket costs nothing but the short prints' precision. The `websockets` library is
imported when the listener starts, so only an OctoPrint driver loads it (the driver's footprint).
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

EVENTS = ("PrintStarted", "PrintDone", "PrintFailed", "PrintCancelled")

PushEvent = tuple[datetime, str, dict[str, Any]]
"""When the driver received it, OctoPrint's event name, its payload."""


def websocket_url(base_url: str) -> str:
    """`http://host:port/prefix` -> `ws://host:port/prefix/sockjs/websocket` (https -> wss)."""
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/sockjs/websocket"


class PushListener:
    def __init__(
        self,
        client: httpx.Client,
        clock: Callable[[], datetime],
        *,
        retry_seconds: float = 5.0,
        tls: ssl.SSLContext | bool = False,
    ) -> None:
        self.client = client
        self.clock = clock
        self.retry_seconds = retry_seconds
        self.tls = tls
        self.connected = threading.Event()
        """Set while authenticated and subscribed (tests, health)."""
        self._events: deque[PushEvent] = deque(maxlen=1000)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> None:
        if self.running:
            return
        # A fresh stop flag per thread: one still leaving (stuck in a connect) stays stopped.
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(self._stop,), name="octoprint-push", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        self._thread = None
        self.connected.clear()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def drain(self) -> list[PushEvent]:
        """The events received since the last call, oldest first."""
        taken: list[PushEvent] = []
        while self._events:
            taken.append(self._events.popleft())
        return taken

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self._listen(stop)
            except Exception as error:  # any failure: log once, poll meanwhile, retry
                if not self._failing:
                    log.warning(
                        "octoprint_push_unavailable reason=%s: polling /api/job only",
                        f"{type(error).__name__}: {error}"[:200],
                    )
                    self._failing = True
            self.connected.clear()
            stop.wait(self.retry_seconds)

    def _login(self) -> str:
        response = self.client.post("/api/login", json={"passive": True})
        response.raise_for_status()
        data = response.json()
        return f"{data['name']}:{data['session']}"

    def _listen(self, stop: threading.Event) -> None:
        from websockets.sync.client import connect  # lazily: only OctoPrint drivers need it

        auth = self._login()
        tls = self.tls if isinstance(self.tls, ssl.SSLContext) else None
        if tls is None and self.tls is True:
            tls = ssl.create_default_context()
        url = websocket_url(str(self.client.base_url))
        with connect(url, open_timeout=10, ssl=tls, max_size=2**20) as socket:
            socket.send(json.dumps({"auth": auth}))
            socket.send(json.dumps({"subscribe": {"state": False, "events": list(EVENTS)}}))
            self.connected.set()
            if self._failing:
                log.warning("octoprint_push_back")
                self._failing = False
            while not stop.is_set():
                try:
                    message = socket.recv(timeout=0.5)
                except TimeoutError:
                    continue
                self.take(message)

    def take(self, message: str | bytes) -> None:
        """One websocket message: a print event is kept; OctoPrint asking for a new login ends
        this connection (the listener logs in again)."""
        try:
            data = json.loads(message)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        reauth = data.get("reauthRequired")
        if isinstance(reauth, dict) and reauth.get("reason") in ("stale", "logout", "removed"):
            raise ConnectionError(f"OctoPrint asks to log in again ({reauth['reason']})")
        event = data.get("event")
        if not isinstance(event, dict) or event.get("type") not in EVENTS:
            return
        payload = event.get("payload")
        self._events.append((self.clock(), str(event["type"]), payload if payload else {}))
