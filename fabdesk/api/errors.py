"""Errors to HTTP answers, in one place: every 4xx/5xx body is a `Refusal` (code, message)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from fabdesk import errors
from fabdesk.api.limits import TooManyRequests
from fabdesk.db import watch_of
from fabdesk.wire import Refusal

log = logging.getLogger(__name__)

STATUS: dict[type[errors.FabdeskError], int] = {
    errors.Unauthenticated: 401,
    errors.AccessDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.InvalidValue: 422,
    errors.RuleViolation: 422,
    errors.ImportRejected: 422,
    TooManyRequests: 429,
    errors.DatabaseUnavailable: 503,
    errors.ConfigError: 500,
}


def status_of(error: errors.FabdeskError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def refusal(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        Refusal(code=code, message=message).model_dump(), status_code=status, headers=headers
    )


def in_language(request: Request, error: errors.FabdeskError) -> str:
    """The error's sentence in the language a maker's request was answered in (set by
    `deps.get_maker`); English elsewhere (drivers, managers)."""
    language = getattr(request.state, "language", None)
    if language is None:
        return str(error)
    from fabdesk.i18n import translator

    return error.render(translator(language).gettext, language)


def _fabdesk_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.FabdeskError)
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, errors.Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    if status >= 500:
        log.error("request_failed", extra={"code": exc.code})
    return refusal(status, exc.code, in_language(request, exc), headers)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error.get("loc", ()))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    more = len(exc.errors()) - len(problems)
    message = "The request is malformed: " + "; ".join(problems)
    if more > 0:
        message += f" (and {more} more)"
    return refusal(422, "malformed_request", message)


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot decode (not UTF-8): malformed, like bad JSON.
        return refusal(422, "malformed_request", "The request body cannot be read as JSON.")
    return refusal(
        exc.status_code, f"http_{exc.status_code}", str(exc.detail), dict(exc.headers or {})
    )


def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """503. An outage is logged once by the engine's DatabaseWatch as it happens; anything
    else (a busy SQLite file, a full disk) once per cause by the watch's `refused`."""
    watch = watch_of(request.app.state.fabdesk.engine)
    if watch is not None:
        watch.refused(exc)
    return refusal(
        503,
        "database_unavailable",
        "The database is busy or unavailable: retry later.",
        {"Retry-After": "1"},
    )


def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("integrity_error", extra={"error": type(exc).__name__})
    return refusal(409, "conflict", "The change collides with the data already stored.")


def _data_error(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("data_error", extra={"error": type(exc).__name__})
    return refusal(422, "invalid_value", "A value does not fit what the database can store.")


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("request_crashed", exc_info=exc)
    return refusal(500, "internal_error", "Something went wrong on the server; it was logged.")


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(errors.FabdeskError, _fabdesk_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)
