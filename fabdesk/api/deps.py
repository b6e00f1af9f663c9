"""Request dependencies: database sessions, the clock, the calling device, the calling manager
(their own token), the calling maker (a personal access token) and the language to answer them
in, and the limit on failed authentications per client address."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from fabdesk.actors import Actor
from fabdesk.api.limits import FailureLimiter, RateLimiter
from fabdesk.db import session_scope, write_session
from fabdesk.errors import Unauthenticated
from fabdesk.models import MakerToken, ManagerToken
from fabdesk.settings import ApiSettings, Settings
from fabdesk.usage.devices import AuthenticatedDevice, authenticate, hash_token
from inventory.maker_tokens import AuthenticatedMaker, authenticate_maker
from inventory.token_use import TokenTable, note_used

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
    makers: RateLimiter = field(default_factory=lambda: maker_limiter(ApiSettings()))
    failures: FailureLimiter = field(default_factory=lambda: FailureLimiter(10))


def maker_limiter(api: ApiSettings) -> RateLimiter:
    """Requests per maker token."""
    return RateLimiter(
        api.maker_requests_per_second,
        api.maker_burst,
        template="Too many requests with this access token: retry after {seconds} s.",
    )


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


def single_query_values(request: Request) -> None:
    """A query parameter the route takes, given more than once, is malformed (422): each takes
    one value, and FastAPI would silently keep the last. Parameters the route does not take
    are ignored, as HTTP allows. Every route of the API depends on it (`create_app`)."""
    from fastapi.exceptions import RequestValidationError

    dependant = getattr(request.scope.get("route"), "dependant", None)
    repeated = [
        {"loc": ("query", name), "msg": "given more than once", "type": "repeated"}
        for name in sorted(_query_names(dependant))
        if len(request.query_params.getlist(name)) > 1
    ]
    if repeated:
        raise RequestValidationError(repeated)


def _query_names(dependant: Dependant | None) -> set[str]:
    """The query parameters a route (a FastAPI `Dependant`) and its dependencies take."""
    if dependant is None:
        return set()
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def note_use(state: ApiState, table: TokenTable, token_id: int, *, now: datetime) -> None:
    """Note a token's use in a write transaction of its own, after the request's read: a read
    that turned into a write would be refused at once by SQLite had another writer (a driver's
    ingest) committed in between."""
    with write_session(state.engine) as session:
        note_used(session, table, token_id, now=now)


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
    now = state.clock()
    try:
        with session_scope(state.engine) as session:
            manager = authenticate_manager(
                session, credentials.credentials if credentials else None, now=now
            )
    except Unauthenticated:
        state.failures.failed(address)
        raise
    if manager.used_long_ago:
        note_use(state, ManagerToken, manager.token_id, now=now)
    return manager.actor


ActorDep = Annotated[Actor, Depends(require_manager)]
"""The calling manager, for routes that check their scope (`actor: ActorDep`)."""
ManagerDep = Depends(require_manager)
"""A manager's token required (`dependencies=[ManagerDep]`): for routes not scoped by site."""


maker_bearer = HTTPBearer(
    scheme_name="MakerToken",
    description="A maker's personal access token, made at the kiosk (Me → T).",
    auto_error=False,
)

LANGUAGES = ("fr", "nl", "en")


def preferred_language(header: str | None) -> str | None:
    """The first of fr, nl, en in an Accept-Language header by its q weights, or None."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        name, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        language = name.strip().lower()[:2]
        if language in LANGUAGES and weight > 0:
            ranked.append((-weight, index, language))
    return min(ranked)[2] if ranked else None


def get_maker(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(maker_bearer)],
) -> AuthenticatedMaker:
    """The maker holding the bearer token (401 otherwise), within their rate limit (429).

    Failed checks are counted per client address: past `api.failed_auth_per_minute`, the
    address gets 429 before its token is even looked at. Refusals are in the language the
    request asks for (Accept-Language), else the maker's own."""
    asked = preferred_language(request.headers.get("accept-language"))
    if asked:
        request.state.language = asked
    address = client_address(request)
    state.failures.check(address)
    now = state.clock()
    try:
        with session_scope(state.engine) as session:
            maker = authenticate_maker(
                session, credentials.credentials if credentials else None, now=now
            )
    except Unauthenticated:
        state.failures.failed(address)
        raise
    request.state.language = asked or maker.language
    state.makers.take(maker.token_id)
    if maker.used_long_ago:
        note_use(state, MakerToken, maker.token_id, now=now)
    return maker


MakerDep = Annotated[AuthenticatedMaker, Depends(get_maker)]
