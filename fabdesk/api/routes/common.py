"""OpenAPI descriptions of the refusals shared by the routes."""

from __future__ import annotations

from typing import Any

from fabdesk.wire import Refusal


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries saying that these statuses answer with a Refusal."""
    described = {
        401: "No token, an unknown one, or a revoked one.",
        403: "The token does not allow this (another machine, manager endpoints disabled).",
        404: "No such thing.",
        409: "In conflict with the current state.",
        413: "The body is over the size limit.",
        422: "The request is malformed; nothing was written.",
        429: "Over the rate limit: retry after the Retry-After header's seconds.",
        503: "The database is busy or unavailable: retry later.",
    }
    return {status: {"model": Refusal, "description": described[status]} for status in statuses}
