"""The uplink: sends the outbox to the server in order, deleting only what is acknowledged.

`POST {server}/api/v1/ingest` (Bearer device token, `EventBatch`) ->
200 `BatchAck` (accepted + duplicates: both leave the outbox); 401/403 token rejected or not
allowed (sending stops, logged once, tried again every 10 minutes); 413 too big (the batch is
split); 422 `Refusal` (split down to the one refused event, which is set aside in the outbox's
`refused` table, never dropped); 429 and 503: Retry-After; other 5xx, timeouts, connection
errors: exponential backoff with full jitter.

Every batch carries `sent_at`, the device's wall clock when it is sent, so the server can measure
the device's clock offset (but for events of an earlier boot dated on a set clock while the clock
now is not set: they go alone, without it, and keep their times); events written before the wall
clock jumped (a Pi without a clock battery boots in 1970 until NTP answers) are re-dated from the
monotonic clock on the way out (`drivers.outbox.redate`).
"""

from __future__ import annotations

import json
import logging
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import httpx

from drivers.errors import TokenRejected, UplinkError
from drivers.outbox import Outbox, dated_right_before_reboot, redate
from drivers.wire import MAX_BODY_BYTES, WIRE_VERSION, BatchAck, MachineContext, Refusal, WireError

log = logging.getLogger(__name__)

INGEST_PATH = "/api/v1/ingest"
CONTEXT_PATH = "/api/v1/context"
TOKEN_RECHECK_SECONDS = 600.0


class Backoff:
    """Exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base * 2**n))."""

    def __init__(
        self, *, base: float = 1.0, cap: float = 300.0, uniform: Callable[[float, float], float]
    ) -> None:
        self.base, self.cap, self.uniform = base, cap, uniform
        self.attempt = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.attempt)
        self.attempt = min(self.attempt + 1, 30)
        return max(self.base / 10, self.uniform(0, ceiling))

    def reset(self) -> None:
        self.attempt = 0


class Outcome(Enum):
    IDLE = "idle"
    """Nothing to send."""
    SENT = "sent"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    delay: float = 0.0
    """Seconds to wait before the next attempt."""
    acknowledged: int = 0


class Uplink:
    """One server, one device token, one outbox. `send_once` never raises for network trouble."""

    def __init__(
        self,
        client: httpx.Client,
        outbox: Outbox,
        *,
        batch_events: int = 200,
        backoff_max_seconds: float = 300.0,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.client = client
        self.outbox = outbox
        self.batch_events = batch_events
        self.backoff = Backoff(cap=backoff_max_seconds, uniform=uniform)
        self._limit = batch_events
        self._failing: str | None = None
        self.token_rejected = False

    def _failed(self, what: str, delay: float) -> Result:
        if self._failing is None:
            log.warning("uplink_failing reason=%s retry_in=%.1fs", what, delay)
        else:
            log.debug("uplink_still_failing reason=%s retry_in=%.1fs", what, delay)
        self._failing = what
        return Result(Outcome.RETRY, delay)

    def _recovered(self) -> None:
        if self._failing is not None:
            log.warning("uplink_recovered after=%s", self._failing)
            self._failing = None
        if self.token_rejected:
            log.warning("uplink_token_accepted_again")
            self.token_rejected = False
        self.backoff.reset()

    def send_once(self) -> Result:
        """Send the oldest batch once; the result says when to try again."""
        batch = self.outbox.pending(self._limit, MAX_BODY_BYTES - 1000)
        if not batch:
            return Result(Outcome.IDLE)
        clocks = self.outbox.clocks
        # Events an earlier boot dated on a set clock go apart, without `sent_at`, while the
        # clock now is not set: the server keeps their times as they are.
        alone = [dated_right_before_reboot(p, clocks) for p in batch]
        batch = batch[: next((i for i, a in enumerate(alone) if a != alone[0]), len(batch))]
        events = ",".join(redate(p, clocks) for p in batch)
        stamp = "" if alone[0] else f'"sent_at":{json.dumps(clocks.wall().isoformat())},'
        body = f'{{"wire_version":{WIRE_VERSION},{stamp}"events":[{events}]}}'
        try:
            response = self.client.post(
                INGEST_PATH, content=body, headers={"Content-Type": "application/json"}
            )
        except httpx.HTTPError as error:
            return self._failed(type(error).__name__, self.backoff.next_delay())
        status = response.status_code
        if status == 200:
            try:
                ack = BatchAck.model_validate_json(response.content)
            except WireError:
                return self._failed("bad acknowledgement", self.backoff.next_delay())
            done = self.outbox.acknowledge([*ack.accepted, *ack.duplicates])
            self._recovered()
            self._limit = min(self.batch_events, self._limit * 2)
            return Result(Outcome.SENT, 0.0, done)
        if status in (401, 403):
            if not self.token_rejected:
                log.error(
                    "uplink_token_rejected: the server refuses this device token (wrong or "
                    "revoked); nothing is sent until it is accepted again, events are kept"
                )
                self.token_rejected = True
            return Result(Outcome.RETRY, TOKEN_RECHECK_SECONDS)
        if status in (413, 422) and len(batch) > 1:
            self._limit = max(1, len(batch) // 2)
            return Result(Outcome.RETRY, 0.0)
        if status in (413, 422):
            reason = _refusal(response)
            log.error("uplink_event_refused event=%s reason=%s: set aside", batch[0].id, reason)
            self.outbox.set_aside(batch[0], reason)
            return Result(Outcome.SENT, 0.0)
        if status in (429, 503):
            delay = _retry_after(response) or self.backoff.next_delay()
            return self._failed("rate limited" if status == 429 else "http 503", delay)
        return self._failed(f"http {status}", self.backoff.next_delay())


def fetch_context(client: httpx.Client) -> MachineContext:
    """Who may use the machine now (`GET /api/v1/context`); also proves the token works."""
    try:
        response = client.get(CONTEXT_PATH)
    except httpx.HTTPError as error:
        raise UplinkError(f"server unreachable: {type(error).__name__}") from error
    if response.status_code == 401:
        raise TokenRejected("the server refuses this device token")
    if response.status_code != 200:
        raise UplinkError(f"server answered {response.status_code}: {_refusal(response)}")
    return MachineContext.model_validate_json(response.content)


def _refusal(response: httpx.Response) -> str:
    try:
        refusal = Refusal.model_validate_json(response.content)
    except WireError:
        return f"http {response.status_code}"
    return f"{refusal.code}: {refusal.message}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, min(float(value), 3600.0))
    except ValueError:
        return None


SYSTEM_CERTIFICATES = Path("/etc/ssl/certs")


def tls_for(url: str) -> ssl.SSLContext | bool:
    """Certificate checking for `url`: none for http; for https the system's hashed certificate
    folder, read certificate by certificate when needed (Debian, Raspberry Pi OS), rather than a
    whole bundle parsed up front (~2 MB of memory on a Pi); httpx's default elsewhere."""
    if not url.startswith("https:"):
        return False
    if SYSTEM_CERTIFICATES.is_dir():
        return ssl.create_default_context(capath=str(SYSTEM_CERTIFICATES))
    return True


def make_client(url: str, token: str, timeout: float) -> httpx.Client:
    """A client for the fabdesk server, with the device token."""
    return httpx.Client(
        base_url=url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}", "User-Agent": "fabdesk-driver"},
        timeout=timeout,
        verify=tls_for(url),
    )
