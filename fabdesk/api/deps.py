"""Request dependencies: database sessions, the clock, the calling device, the calling manager
(their own token), and the limit on failed authentications per client address."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from fabdesk.actors import Actor
from fabdesk.api.limits import FailureLimiter, RateLimiter
from fabdesk.db import session_scope
from fabdesk.errors import Unauthenticated
from fabdesk.settings import Settings
from fabdesk.usage.devices import AuthenticatedDevice, authenticate, hash_token

FinishedHook = Callable[[Session, Sequence[int], datetime], None]
"""Called inside the ingest transaction with the usage sessions a batch finished (accounting)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeviceCache:
    """Devices recently authenticated, by token hash, for `ttl` seconds (0: no cache)."""

    def __init__(self, ttl: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[str, tuple[float, AuthenticatedDevice]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> AuthenticatedDevice | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            entry = self._entries.get(digest)
        if entry is None or entry[0] < self._monotonic():
            return None
        return entry[1]

    def put(self, digest: str, device: AuthenticatedDevice) -> None:
        if self.ttl <= 0:
            return
        now = self._monotonic()
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
            self._entries[digest] = (now + self.ttl, device)


@dataclass
class ApiState:
    """What the routes need, built once by create_app and kept on `app.state.fabdesk`."""

    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = utc_now
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(20.0, 60))
    finished_hooks: list[FinishedHook] = field(default_factory=list)
    devices: DeviceCache = field(default_factory=lambda: DeviceCache(0))
    failures: FailureLimiter = field(default_factory=lambda: FailureLimiter(10))


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.fabdesk
    return state


StateDep = Annotated[ApiState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """A read transaction for the request (committed at the end; routes that write own theirs)."""
    with session_scope(state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_now(state: StateDep) -> datetime:
    return state.clock()


NowDep = Annotated[datetime, Depends(get_now)]

device_bearer = HTTPBearer(
    scheme_name="DeviceToken",
    description="The token printed by `fabdesk device add`.",
    auto_error=False,
)
manager_bearer = HTTPBearer(
    scheme_name="ManagerToken",
    description="A manager's own token, from `fabdesk managers token create`.",
    auto_error=False,
)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def get_device(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(device_bearer)],
) -> AuthenticatedDevice:
    """The device holding the bearer token (401 otherwise), within its rate limit (429)."""
    address = client_address(request)
    state.failures.check(address)
    token = credentials.credentials if credentials else None
    digest = hash_token(token) if token else ""
    device = state.devices.get(digest)
    if device is None:
        try:
            with session_scope(state.engine) as session:
                device = authenticate(session, token)
        except Unauthenticated:
            state.failures.failed(address)
            raise
        state.devices.put(digest, device)
    state.limiter.take(device.device_id)
    return device


DeviceDep = Annotated[AuthenticatedDevice, Depends(get_device)]


def require_manager(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(manager_bearer)],
) -> Actor:
    """The manager holding the bearer token, with their scope (401 otherwise); an address
    that failed too often is refused first (429)."""
    from inventory.manager_tokens import authenticate_manager

    address = client_address(request)
    state.failures.check(address)
    try:
        with session_scope(state.engine) as session:
            return authenticate_manager(
                session, credentials.credentials if credentials else None, now=state.clock()
            )
    except Unauthenticated:
        state.failures.failed(address)
        raise


ActorDep = Annotated[Actor, Depends(require_manager)]
"""The calling manager, for routes that check their scope (`actor: ActorDep`)."""
ManagerDep = Depends(require_manager)
"""A manager's token required (`dependencies=[ManagerDep]`): for routes not scoped by site."""
