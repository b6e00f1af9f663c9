"""A stand-in for the server's ingest endpoint, for the driver tests that run without the server.

Why a stand-in: the API area writes the real server in parallel; these tests pin the driver's
side of the wire contract (fabdesk.wire, the status codes of `POST /api/v1/ingest`) and inject
the server's faults on demand (401, 413, 422, 429, 5xx, a slow answer). It stores events by UUID
exactly as the contract says: a repeated UUID is acknowledged as a duplicate and stored once.
The end-to-end tests against the real uvicorn server live beside these.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

from fabdesk.wire import AllowList, BatchAck, Event, EventBatch, EventKind, MachineContext, Refusal


@dataclass
class Scripted:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class IngestPeer:
    def __init__(
        self, token: str = "device-token", *, port: int = 0, after: IngestPeer | None = None
    ) -> None:
        """`after`: a stopped peer whose stored events this one keeps (a server restart)."""
        self.token = token
        self.events: dict[UUID, Event] = after.events if after else {}
        self.order: list[UUID] = after.order if after else []
        self.duplicates = 0
        self.allow_list: AllowList | None = None
        """Served at `GET /api/v1/allow-list` when set (badge readers)."""
        self.sent_at: list[datetime | None] = []
        """Each received batch's `sent_at` (the device's clock when it sent)."""
        self.requests: list[tuple[int, int]] = []
        """(status, number of events) per ingest request."""
        self.script: list[Scripted] = []
        self.delay = 0.0
        self.max_events: int | None = None
        self.lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {peer.token}":
                    refusal = Refusal(code="token", message="bad device token")
                    self._answer(401, refusal.model_dump_json().encode())
                    return False
                return True

            def do_GET(self) -> None:
                if self.path == "/api/v1/allow-list" and peer.allow_list is not None:
                    if self._authorised():
                        self._answer(200, peer.allow_list.model_dump_json().encode())
                elif self.path != "/api/v1/context":
                    self._answer(404, b"{}")
                elif self._authorised():
                    self._answer(
                        200, MachineContext(equipment_tag="CF1-LAS-01").model_dump_json().encode()
                    )

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/api/v1/ingest":
                    self._answer(404, b"{}")
                    return
                if not self._authorised():
                    return
                with peer.lock:
                    scripted = peer.script.pop(0) if peer.script else None
                try:
                    batch = EventBatch.model_validate_json(body)
                    peer.sent_at.append(batch.sent_at)
                except ValueError as error:
                    refusal = Refusal(code="malformed", message=str(error)[:200])
                    self._answer(422, refusal.model_dump_json().encode())
                    return
                if scripted is not None:
                    peer.requests.append((scripted.status, len(batch.events)))
                    self._answer(scripted.status, scripted.body, scripted.headers)
                    return
                if peer.max_events is not None and len(batch.events) > peer.max_events:
                    peer.requests.append((413, len(batch.events)))
                    self._answer(413, b'{"code":"too_big","message":"split it"}')
                    return
                accepted, duplicates = [], []
                with peer.lock:
                    for event in batch.events:
                        if event.id in peer.events:
                            duplicates.append(event.id)
                            peer.duplicates += 1
                        else:
                            peer.events[event.id] = event
                            peer.order.append(event.id)
                            accepted.append(event.id)
                peer.requests.append((200, len(batch.events)))
                if peer.delay:
                    time.sleep(peer.delay)
                ack = BatchAck(accepted=accepted, duplicates=duplicates)
                self._answer(200, ack.model_dump_json().encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> IngestPeer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def stored(self, kind: EventKind | None = None) -> list[Event]:
        with self.lock:
            events = [self.events[id_] for id_ in self.order]
        return [e for e in events if kind is None or e.kind is kind]

    def session_counts(self) -> dict[UUID, Counter[str]]:
        """Per session: how many started / ended events the server holds."""
        counts: dict[UUID, Counter[str]] = {}
        for event in self.stored():
            if event.session_id is not None:
                counts.setdefault(event.session_id, Counter())[event.kind.value] += 1
        return counts

    def ended(self) -> list[Event]:
        return self.stored(EventKind.SESSION_ENDED)


def dump(events: list[Event]) -> str:
    return json.dumps([json.loads(e.model_dump_json()) for e in events], indent=1)
