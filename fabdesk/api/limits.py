"""Request limits: the body size cap (ASGI middleware) and rate limits (token buckets) per device,
per maker token, and of failed token checks per client address."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fabdesk.errors import FabdeskError


class TooManyRequests(FabdeskError):
    """A caller went over its rate limit; `retry_after` says when to try again (seconds)."""

    code = "rate_limited"

    def __init__(
        self,
        retry_after: float,
        template: str = "Too many requests from this device: retry after {seconds} s.",
    ) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(template, seconds=self.retry_after)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per key (a device, a maker token, a client address), in this process:
    `rate` requests per second, `burst` at once. `template` is the refusal's sentence."""

    def __init__(
        self,
        rate: float,
        burst: int,
        monotonic: Callable[[], float] = time.monotonic,
        template: str = "Too many requests from this device: retry after {seconds} s.",
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.template = template
        self._monotonic = monotonic
        self._buckets: dict[Hashable, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: Hashable) -> None:
        """Spend one request of `key`'s allowance, or raise TooManyRequests."""
        self._spend(key, 1)

    def check(self, key: Hashable) -> None:
        """Raise TooManyRequests if `key` has no request left, without spending one."""
        self._spend(key, 0)

    def _spend(self, key: Hashable, cost: int) -> None:
        now = self._monotonic()
        with self._lock:
            if len(self._buckets) > 10_000:  # forget callers whose bucket has refilled
                full = self.burst / self.rate
                self._buckets = {k: b for k, b in self._buckets.items() if now - b.updated < full}
            bucket = self._buckets.setdefault(key, _Bucket(float(self.burst), now))
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens < 1:
                raise TooManyRequests((1 - bucket.tokens) / self.rate, self.template)
            bucket.tokens -= cost


class FailureLimiter:
    """Failed authentications per client address, in this process: past `per_minute` failures
    within a minute, every request of that address is refused before its token is checked, so
    guessing tokens costs a minute per `per_minute` guesses."""

    WINDOW = 60.0

    def __init__(self, per_minute: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._monotonic = monotonic
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(address, []) if t > now - self.WINDOW]
        if kept:
            self._failures[address] = kept
        else:
            self._failures.pop(address, None)
        return kept

    def check(self, address: str) -> None:
        """Raise TooManyRequests when `address` failed too often in the last minute."""
        now = self._monotonic()
        with self._lock:
            recent = self._recent(address, now)
        if len(recent) >= self.per_minute:
            raise TooManyRequests(recent[0] + self.WINDOW - now)

    def failed(self, address: str) -> None:
        now = self._monotonic()
        with self._lock:
            if len(self._failures) > 10_000:  # many addresses: forget the quiet ones
                for known in list(self._failures):
                    self._recent(known, now)
            self._failures.setdefault(address, []).append(now)


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413 before the application reads them.

    A declared Content-Length is checked at once; a body without one (chunked) is read up to the
    limit, then handed on.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "code": "body_too_large",
                "message": f"The request body is over the limit of {self.max_bytes} bytes.",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
