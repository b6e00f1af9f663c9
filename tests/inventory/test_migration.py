"""The cadastre migration upgrades a database that already holds items, on both databases."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command

from fabdesk.db import Engine, alembic_config, make_engine, upgrade
from fabdesk.settings import DatabaseSettings
from tests.support.postgres import PostgresServer


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    if request.param == "sqlite":
        sqlite3.connect(f"{tmp_path}/empty.db").close()  # empty, as `fabdesk init` starts it
        engine = make_engine(DatabaseSettings(url=f"sqlite:///{tmp_path}/empty.db"))
        yield engine
        engine.dispose()
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = f"empty_{uuid.uuid4().hex[:12]}"
    with postgres.admin() as admin:
        admin.execute(f"CREATE DATABASE {name}")
    engine = make_engine(DatabaseSettings(url=postgres.url(name)))
    yield engine
    engine.dispose()
    with postgres.admin() as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_items_made_before_the_cadastre_get_empty_cadastre_fields(empty_engine: Engine) -> None:
    command.upgrade(alembic_config(empty_engine), "0001")
    with empty_engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO sites (id, code, name, address, timezone) "
            "VALUES (1, 'lab', 'Lab', '', 'Europe/Brussels')"
        )
        connection.exec_driver_sql(
            "INSERT INTO equipment_categories (id, code, name_en, name_fr, name_nl, needs_training)"
            " VALUES (1, 'laser', 'Laser', 'Laser', 'Laser', true)"
        )
        connection.exec_driver_sql(
            "INSERT INTO equipment (asset_tag, site_id, category_id, name, location, bookable, "
            "status, rate_cents_per_hour, billing_unit_minutes, minimum_charge_cents) "
            "VALUES ('CF1-00001-R', 1, 1, 'Old laser', '', true, 'in_service', 0, 1, 0)"
        )
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        row = connection.execute(
            sa.text(
                "SELECT make, model, serial_number, notes, manual_urls, acquired_on FROM equipment"
            )
        ).one()
    assert tuple(row) == ("", "", "", "", "", None)
