"""The database layer on SQLite and PostgreSQL: pragmas, migrations, clear errors."""

from __future__ import annotations

import threading
from datetime import time
from pathlib import Path
from time import sleep

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import select

import fabdesk.models
from fabdesk.db import Engine, make_engine, session_scope, upgrade, write_session
from fabdesk.errors import ConfigError, DatabaseUnavailable, InvalidValue
from fabdesk.settings import DatabaseSettings
from tests.support.postgres import PostgresServer


def test_migrations_give_the_schema_of_the_models(engine: Engine) -> None:
    """`alembic upgrade head` on an empty database (the fixture's) equals the models exactly."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, fabdesk.models.load_all())
    assert differences == []


def test_upgrade_twice_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert version is not None


def test_sqlite_runs_in_wal_with_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(DatabaseSettings(url=sqlite_url, busy_timeout_ms=1234))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as session:
        session.add(
            fabdesk.models.OpeningHours(site_id=999, weekday=0, opens=time(9), closes=time(17))
        )


def _refuse(engine: Engine, *, write: str = "", flush: bool = True, query: str = "") -> None:
    """A transaction that (maybe) writes a site or runs `query`, then is refused."""
    with session_scope(engine) as session:
        if write:
            session.add(fabdesk.models.Site(code=write, name=write))
            if flush:
                session.flush()
        if query:
            session.connection().exec_driver_sql(query)
        raise InvalidValue("refused")


def test_a_refusal_after_a_write_writes_nothing(engine: Engine) -> None:
    """A refusal (our own typed error) after a write undoes the write, on both databases."""
    with pytest.raises(InvalidValue):
        _refuse(engine, write="lab9")
    with pytest.raises(InvalidValue):
        _refuse(engine, write="lab8", flush=False)
    with session_scope(engine) as session:
        assert session.exec(select(fabdesk.models.Site)).all() == []


def test_a_refusal_before_any_write_keeps_prepared_statements(postgres_url: str) -> None:
    """psycopg drops its prepared statements at every ROLLBACK; a refused transaction that
    wrote nothing is ended with COMMIT instead, so hot queries stay prepared."""
    engine = make_engine(DatabaseSettings(url=postgres_url))
    for _ in range(8):
        with pytest.raises(InvalidValue):
            _refuse(engine, query="SELECT count(*) FROM sites WHERE code <> 'x'")
    with session_scope(engine) as session:
        prepared = (
            session.connection()
            .exec_driver_sql(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%FROM sites%%'"
            )
            .scalar()
        )
    engine.dispose()
    assert prepared == 1


def test_sqlite_write_sessions_are_serialised(sqlite_url: str) -> None:
    """A second writer waits for the first, so check-then-insert cannot interleave."""
    engine = make_engine(DatabaseSettings(url=sqlite_url))
    order: list[str] = []
    first_inside = threading.Event()

    def first() -> None:
        with write_session(engine) as session:
            session.connection()
            first_inside.set()
            sleep(0.3)
            order.append("first done")

    def second() -> None:
        first_inside.wait()
        with write_session(engine) as session:
            session.connection()
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order == ["first done", "second in"]


@pytest.mark.parametrize("url", ["mysql://x@y/z", "not a url at all", "oracle://a"])
def test_bad_database_url_says_what_to_fix(url: str) -> None:
    with pytest.raises(ConfigError, match="sqlite:///") as caught:
        make_engine(DatabaseSettings(url=url))
    assert "\n" not in str(caught.value)


def test_unreachable_postgresql_is_a_clear_error() -> None:
    engine = make_engine(DatabaseSettings(url="postgresql://nobody@127.0.0.1:1/nothing"))
    with pytest.raises(DatabaseUnavailable, match=r"Cannot reach the database .*127\.0\.0\.1:1"):
        upgrade(engine)


@pytest.mark.pg
def test_plain_postgresql_url_uses_psycopg(postgres: PostgresServer) -> None:
    engine = make_engine(DatabaseSettings(url=postgres.url()))
    assert engine.dialect.driver == "psycopg"
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    engine.dispose()


def test_default_database_is_a_sqlite_file_in_the_data_folder(tmp_path: Path) -> None:
    url = DatabaseSettings().resolved_url()
    assert url.startswith("sqlite:///")
    assert str(tmp_path / "xdg-data") in url


def test_only_the_schema_upgrade_creates_a_sqlite_database(tmp_path: Path) -> None:
    engine = make_engine(DatabaseSettings(url=f"sqlite:///{tmp_path}/new/fabdesk.db"))
    with pytest.raises(Exception, match="unable to open database file"):
        engine.connect().close()
    assert not (tmp_path / "new" / "fabdesk.db").exists()
    engine.dispose()
