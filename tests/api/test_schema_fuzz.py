"""Schemathesis against the OpenAPI description, over real HTTP: no 5xx, and every answer
(status, headers, body) conforms to the published schema, for valid and invalid requests."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from fabdesk.api.app import create_app
from fabdesk.db import Engine, write_session
from fabdesk.models import Maker, id_of
from fabdesk.settings import Settings
from inventory.maker_tokens import issue_token
from inventory.makers import certify
from tests.api.conftest import DeviceToken, serving

MANAGER_PATHS = (
    "/api/v1/machines/status",
    "/api/v1/devices",
    "/api/v1/reports",
    "/api/v1/usage",
    "/api/v1/badge-decisions",
)
MAKER_PATHS = ("/api/v1/me",)


@pytest.fixture
def maker_token(api_engine: Engine) -> str:
    """A trained maker's personal access token, so the fuzz books, cancels and waits for real."""
    from sqlmodel import select

    with write_session(api_engine) as session:
        maker = session.exec(select(Maker).where(Maker.member_number == "M00001")).one()
        certify(session, maker, "laser", granted_on=date(2026, 1, 1))
        return issue_token(session, id_of(maker), label="fuzz", now=datetime.now(UTC)).token


@pytest.fixture
def fuzzed_url(api_settings: Settings, api_engine: Engine) -> Iterator[str]:
    settings_ = api_settings.model_copy(
        update={
            "api": api_settings.api.model_copy(
                update={
                    "device_requests_per_second": 10_000.0,
                    "device_burst": 10_000,
                    "maker_requests_per_second": 10_000.0,
                    "maker_burst": 10_000,
                    "failed_auth_per_minute": 1_000_000,  # unauthorised cases are half of them
                }
            )
        }
    )
    with serving(create_app(settings_, api_engine)) as url:
        yield url


@pytest.mark.parametrize("only_the_maker_api", [False, True], ids=["all", "maker"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_keeps_its_schema(
    fuzzed_url: str,
    device: DeviceToken,
    manager_token: str,
    maker_token: str,
    mode: GenerationMode,
    only_the_maker_api: bool,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # schemathesis' own deprecation noise is not ours
        schema: schemathesis.BaseSchema = schemathesis.openapi.from_url(
            f"{fuzzed_url}/api/v1/openapi.json"
        )
    if only_the_maker_api:  # its many writes deserve their own examples with a maker's token
        schema = schema.include(path_regex="^/api/v1/me")
    strategy = schema.as_strategy(generation_mode=mode)

    @settings(
        max_examples=100,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    @given(case=strategy, authorised=st.booleans())
    def check(case: schemathesis.Case[Any], authorised: bool) -> None:
        headers = {}
        # Schema-valid but refused on purpose (422): rules JSON Schema cannot say, such as a
        # session_* event without its session_id, or an unknown wire version.
        excluded: list[CheckFunction] = [positive_data_acceptance]
        if authorised:
            token = device.token
            if case.path.startswith(MANAGER_PATHS):
                token = manager_token
            elif case.path.startswith(MAKER_PATHS):
                token = maker_token
            headers["Authorization"] = f"Bearer {token}"
            if "authorization" not in {name.lower() for name in case.headers or {}}:
                # "Invalid" by its missing Authorization header only, which the token given
                # here makes valid (unknown query parameters are ignored, as HTTP allows).
                excluded.append(negative_data_rejection)
        case.call_and_validate(base_url=fuzzed_url, headers=headers, excluded_checks=excluded)

    check()
