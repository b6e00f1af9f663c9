"""The API under attack, over real HTTP: guessing tokens, reaching another site with a site's
token, a revoked token, anonymous readiness probes, dates at the ends of the calendar."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlmodel import select

from fabdesk.api.app import create_app
from fabdesk.api.serving import serve_in_thread
from fabdesk.db import Engine, session_scope
from fabdesk.models import ManagerToken
from fabdesk.settings import DatabaseSettings, Settings, load_settings
from inventory.manager_tokens import revoke_token


@pytest.fixture
def client(api_settings: Settings, api_engine: Engine) -> Iterator[httpx.Client]:
    with (
        serve_in_thread(create_app(api_settings, api_engine)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_guessing_tokens_is_stopped_before_any_check(
    client: httpx.Client, api_settings: Settings, manager_token: str
) -> None:
    allowed = api_settings.api.failed_auth_per_minute
    for guess in range(allowed):
        path = "/api/v1/devices" if guess % 2 else "/api/v1/context"
        answer = client.get(path, headers=_bearer(f"fdm_guess{guess}"))
        assert answer.status_code == 401, answer.text
    blocked = client.get("/api/v1/devices", headers=_bearer(manager_token))
    assert blocked.status_code == 429  # even the right token: the address is out for a minute
    assert int(blocked.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/opendata/cadastre.csv").status_code == 200  # public stays open


def test_a_sites_token_reaches_its_site_only(
    client: httpx.Client, site_manager_token: str, manager_token: str, api_engine: Engine
) -> None:
    site = _bearer(site_manager_token)
    month = {"month": "2026-11"}
    other = client.get(
        "/api/v1/reports/reconcile.csv", params={**month, "site": "cityfab2"}, headers=site
    )
    assert other.status_code == 403
    assert other.json()["code"] == "outside_scope"
    own = client.get("/api/v1/reports/reconcile.csv", params=month, headers=site)
    assert own.status_code == 200
    ledger = client.get("/api/v1/reports/ledger.csv", params=month, headers=site)
    assert ledger.status_code == 403  # the network's books are for network admins
    admin = client.get("/api/v1/reports/ledger.csv", params=month, headers=_bearer(manager_token))
    assert admin.status_code == 200
    with session_scope(api_engine) as session:
        rows = session.exec(select(ManagerToken)).all()
        assert all(row.token_hash not in (site_manager_token, manager_token) for row in rows)
        assert {row.last_used_at is not None for row in rows} == {True}


def test_a_revoked_token_is_refused_at_once(
    client: httpx.Client, manager_token: str, api_engine: Engine
) -> None:
    from fabdesk.actors import actor_named

    assert client.get("/api/v1/devices", headers=_bearer(manager_token)).status_code == 200
    with session_scope(api_engine) as session:
        actor = actor_named(session, "M00002", "cli")
        [row] = session.exec(select(ManagerToken)).all()
        revoke_token(session, actor, row.id or 0, now=datetime.now(UTC))
    refused = client.get("/api/v1/devices", headers=_bearer(manager_token))
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_unknown"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/sites/cityfab1/board", {"day": "0001-01-01"}),
        ("/api/v1/sites/cityfab1/board", {"day": "9999-12-31"}),
        ("/api/v1/machines/CF1-00001-R/free", {"day": "9999-12-31"}),
        ("/api/v1/machines/CF1-00001-R/free", {"day": "0001-01-01"}),
        ("/api/v1/reports/reconcile.csv", {"month": "9999-12"}),
        ("/api/v1/reports/ledger.csv", {"month": "0000-00"}),
        ("/api/v1/reports/reconcile.csv", {"month": "2026-13"}),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_422(
    client: httpx.Client, manager_token: str, path: str, params: dict[str, str]
) -> None:
    answer = client.get(path, params=params, headers=_bearer(manager_token))
    assert answer.status_code == 422, answer.text


def test_ready_tells_an_anonymous_caller_nothing_about_the_database() -> None:
    url = "postgresql://secretuser:pw@127.0.0.1:1/secretdb"
    settings = load_settings(overrides={"database": {"url": url}})
    from fabdesk.db import make_engine

    engine = make_engine(DatabaseSettings(url=url))
    with serve_in_thread(create_app(settings, engine)) as base:
        answer = httpx.get(f"{base}/ready", timeout=30)
    engine.dispose()
    assert answer.status_code == 503
    assert answer.json()["code"] == "not_ready"
    for secret in ("secretuser", "secretdb", "127.0.0.1", ":1", "postgres"):
        assert secret not in answer.text
