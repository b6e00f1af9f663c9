"""Real peers for the tests: a fresh SQLite file per test, and a real PostgreSQL server per run.

Each test that asks for `database_url` runs twice, once on each database. Both start from a
template migrated once per run (`alembic upgrade head`): a file copy for SQLite, and
`CREATE DATABASE … TEMPLATE` for PostgreSQL, so every test gets its own empty, migrated database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from fabdesk.db import Engine, make_engine, upgrade
from fabdesk.settings import DatabaseSettings, Settings, load_settings
from tests.support.postgres import PostgresServer, running_postgres

TEMPLATE = "fabdesk_template"

pytest_plugins = ["tests.support.log_audit"]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FABDESK_* variable of the developer's shell leaks into a test; data goes to tmp."""
    for name in list(os.environ):
        if name.startswith("FABDESK_") and name != "FABDESK_PG_BINDIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresServer) -> str:
    with postgres.admin() as admin:
        admin.execute(f"CREATE DATABASE {TEMPLATE}")
    engine = make_engine(DatabaseSettings(url=postgres.url(TEMPLATE)))
    upgrade(engine)
    engine.dispose()
    return TEMPLATE


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "fabdesk.db"
    engine = make_engine(DatabaseSettings(url=f"sqlite:///{path}"))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "fabdesk.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(postgres: PostgresServer, postgres_template: str) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    with postgres.admin() as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    yield postgres.url(name)
    with postgres.admin() as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A fresh, migrated database: each test using it runs on SQLite and on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(overrides={"database": {"url": database_url}})


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
