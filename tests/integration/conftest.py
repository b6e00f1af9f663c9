"""A PostgreSQL server of a test's own, with a `fabdesk` database: the tests here stop or
restart it, which would cut every other test off a shared one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresServer, running_postgres


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        with server.admin() as admin:
            admin.execute("CREATE DATABASE fabdesk")
        yield server
