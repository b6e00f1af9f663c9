"""Peers for the API tests: a seeded, migrated database per test (SQLite and PostgreSQL), the app,
and the app served by a real uvicorn on 127.0.0.1 at a free port."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from fabdesk.api.app import create_app
from fabdesk.api.serving import serve_in_thread
from fabdesk.db import Engine, make_engine, session_scope
from fabdesk.models import Equipment
from fabdesk.settings import DatabaseSettings, Settings, load_settings
from fabdesk.usage.devices import register_device
from tests.support.postgres import PostgresServer

SEEDED_TEMPLATE = "fabdesk_api_template"
ADMIN = "M00002"
"""The demo's member made a network admin by `manager_token`."""
SITE_MANAGER = "M00003"
"""The demo's member made Cityfab1's manager by `site_manager_token`."""


def _seed(url: str) -> None:
    from inventory.seed import seed

    engine = make_engine(DatabaseSettings(url=url))
    with session_scope(engine) as session:
        seed(session, today=date(2026, 11, 2))
    engine.dispose()


@pytest.fixture(scope="session")
def seeded_sqlite_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-template") / "fabdesk.db"
    shutil.copyfile(sqlite_template, path)
    _seed(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def seeded_postgres_template(postgres: PostgresServer, postgres_template: str) -> str:
    with postgres.admin() as admin:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        if admin.execute(query, (SEEDED_TEMPLATE,)).fetchone():  # tests/security shares it
            return SEEDED_TEMPLATE
        admin.execute(f"CREATE DATABASE {SEEDED_TEMPLATE} TEMPLATE {postgres_template}")
    _seed(postgres.url(SEEDED_TEMPLATE))
    return SEEDED_TEMPLATE


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def seeded_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database holding the Cityfab demo network, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "fabdesk.db"
        shutil.copyfile(request.getfixturevalue("seeded_sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("seeded_postgres_template")
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = f"api_{uuid.uuid4().hex[:12]}"
    with postgres.admin() as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield postgres.url(name)
    with postgres.admin() as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def api_settings(seeded_url: str) -> Settings:
    return load_settings(
        overrides={
            "database": {"url": seeded_url, "pool_size": 10},
        }
    )


@pytest.fixture
def api_engine(api_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(api_settings.database)
    yield engine
    engine.dispose()


@pytest.fixture
def machines(api_engine: Engine) -> list[str]:
    """Asset tags of the first machines of the demo network."""
    with session_scope(api_engine) as session:
        return list(
            session.exec(select(Equipment.asset_tag).order_by(col(Equipment.asset_tag)).limit(3))
        )


def issue_manager_token(engine: Engine, member: str, site: str | None = None) -> str:
    """An API token for `member`, made a manager (of `site`; without one, a network admin)."""
    from fabdesk.actors import actor_for
    from fabdesk.models import id_of
    from inventory.makers import get_maker
    from inventory.manager_tokens import issue_token
    from inventory.managers import set_pin

    with session_scope(engine) as session:
        maker = get_maker(session, member)
        set_pin(session, maker, "2468", site_code=site, salt=b"0" * 16)
        actor = actor_for(session, id_of(maker), "cli")
        return issue_token(session, actor, maker, label="tests", now=datetime.now(UTC)).token


@pytest.fixture
def manager_token(api_engine: Engine) -> str:
    """A network admin's API token."""
    return issue_manager_token(api_engine, ADMIN)


@pytest.fixture
def site_manager_token(api_engine: Engine) -> str:
    """The API token of Cityfab1's manager."""
    return issue_manager_token(api_engine, SITE_MANAGER, "cityfab1")


@dataclass(frozen=True)
class DeviceToken:
    device_id: int
    equipment_tag: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


REGISTERED_AT = datetime(2026, 11, 1, tzinfo=UTC)
"""When the tests' devices were registered: before every event the tests send (an event from
before its device's registration is a wrong clock, and is corrected)."""


def add_device(engine: Engine, tag: str) -> DeviceToken:
    with session_scope(engine) as session:
        registered = register_device(
            session, equipment_tag=tag, name=f"pi-{tag}", now=REGISTERED_AT
        )
        assert registered.device.id is not None
        return DeviceToken(registered.device.id, tag, registered.token)


@pytest.fixture
def device(api_engine: Engine, machines: list[str]) -> DeviceToken:
    return add_device(api_engine, machines[0])


@pytest.fixture
def other_device(api_engine: Engine, machines: list[str]) -> DeviceToken:
    return add_device(api_engine, machines[1])


@pytest.fixture
def app(api_settings: Settings, api_engine: Engine) -> FastAPI:
    return create_app(api_settings, api_engine)


serving = serve_in_thread
"""Run `app` on a real uvicorn server in a thread, on 127.0.0.1 at a free port."""


@pytest.fixture
def live_url(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def client(live_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_url, timeout=30) as client:
        yield client
