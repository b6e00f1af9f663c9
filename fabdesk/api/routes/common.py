"""OpenAPI descriptions of the refusals shared by the routes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query

from fabdesk.wire import Refusal

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2199, 12, 31)
"""The days the API answers about; outside them, 422 (a day at the end of the calendar would
overflow when the server adds its hours)."""

Day = Annotated[
    date | None,
    Query(
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="A day (YYYY-MM-DD) from 2000-01-01 to 2199-12-31; today if absent.",
        json_schema_extra={
            "pattern": r"^2[01]\d{2}-\d{2}-\d{2}$",
            "formatMinimum": "2000-01-01",
            "formatMaximum": "2199-12-31",
        },
    ),
]
Month = Annotated[
    str,
    Query(
        pattern=r"^2[01]\d{2}-(0[1-9]|1[0-2])$",
        description="A month (YYYY-MM) from 2000-01 to 2199-12.",
    ),
]


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries saying that these statuses answer with a Refusal."""
    described = {
        401: "No token, an unknown one, or a revoked one.",
        403: "The token does not allow this (another machine, another site than its manager's).",
        404: "No such thing.",
        409: "In conflict with the current state.",
        413: "The body is over the size limit.",
        422: "The request is malformed; nothing was written.",
        429: "Over the rate limit (or too many wrong tokens from this address): retry after the "
        "Retry-After header's seconds.",
        503: "The database is busy or unavailable: retry later.",
    }
    return {status: {"model": Refusal, "description": described[status]} for status in statuses}
