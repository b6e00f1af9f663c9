"""The FastAPI application: `create_app(settings, engine)` wires routes, limits, error handlers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from fastapi import Depends, FastAPI
from sqlalchemy.engine import Engine

from fabdesk import __version__
from fabdesk.api import errors
from fabdesk.api.deps import (
    ApiState,
    DeviceCache,
    FinishedHook,
    maker_limiter,
    single_query_values,
    utc_now,
)
from fabdesk.api.limits import BodyLimit, FailureLimiter, RateLimiter
from fabdesk.api.routes import ROUTERS
from fabdesk.settings import Settings
from fabdesk.wire import MAX_BODY_BYTES

DESCRIPTION = """\
The fabdesk server. Machine-side drivers post their events to `/api/v1/ingest` with their device
token; managers read machine status and reports with their own token (scoped to their site);
makers book, cancel, extend and wait under `/api/v1/me/` with the personal access token they made
at the kiosk. Every refusal is a JSON `Refusal` (`code`, `message`; a maker's in their language).
See docs/api.md and docs/wire.md.
"""


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = utc_now,
    finished_hooks: Sequence[FinishedHook] = (),
) -> FastAPI:
    """The application serving `engine`'s database. `clock` is for tests; `finished_hooks` are
    called inside the ingest transaction with the usage sessions each batch finished."""
    app = FastAPI(
        title="fabdesk",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        dependencies=[Depends(single_query_values)],
    )
    app.state.fabdesk = ApiState(
        settings=settings,
        engine=engine,
        clock=clock,
        limiter=RateLimiter(settings.api.device_requests_per_second, settings.api.device_burst),
        finished_hooks=list(finished_hooks),
        devices=DeviceCache(settings.api.device_cache_seconds),
        makers=maker_limiter(settings.api),
        failures=FailureLimiter(settings.api.failed_auth_per_minute),
    )
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    return app


def app_from_environment() -> FastAPI:
    """The application from the settings in the environment ($FABDESK_CONFIG, FABDESK_*): the
    factory uvicorn calls in each worker process of `fabdesk serve --workers N`."""
    from fabdesk.db import make_engine
    from fabdesk.logs import configure_logging
    from fabdesk.settings import load_settings

    settings = load_settings()
    configure_logging(settings)
    return create_app(settings, make_engine(settings.database))
