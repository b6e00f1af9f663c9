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


def test_who_changed_items_becomes_a_maker_id_and_the_free_text_goes(
    empty_engine: Engine,
) -> None:
    """0200: `maker:ID` (the kiosk's) and member numbers (imports) become the maker's id; a login
    name, "seed" or a person's name becomes nobody (the system), and no text is kept."""
    for revision in ("0190", "0180", "0130"):  # the heads before 0200 with these tables
        command.upgrade(alembic_config(empty_engine), revision)
    at = "'2026-01-05 10:00:00'"
    with empty_engine.begin() as connection:
        run = connection.exec_driver_sql
        run(
            "INSERT INTO sites (id, code, name, address, timezone) "
            "VALUES (1, 'lab', 'Lab', '', 'Europe/Brussels')"
        )
        run(
            "INSERT INTO equipment_categories (id, code, name_en, name_fr, name_nl, needs_training)"
            " VALUES (1, 'laser', 'Laser', 'Laser', 'Laser', true)"
        )
        for maker_id, number, name in ((7, "M00007", "Ann Peeters"), (9, "M00009", "Bo Li")):
            run(
                "INSERT INTO makers (id, member_number, name, email, language, tier) "
                f"VALUES ({maker_id}, '{number}', '{name}', '', 'fr', 'standard')"
            )
        run(
            "INSERT INTO equipment (id, asset_tag, site_id, category_id, name, location, bookable,"
            " status, rate_cents_per_hour, billing_unit_minutes, minimum_charge_cents) "
            "VALUES (1, 'CF1-00001-R', 1, 1, 'Laser', '', true, 'in_service', 0, 1, 0)"
        )
        for event_id, actor in enumerate(
            ("maker:7", "M00009", "seed", "Bo Li", "maker:99", "jdoe", "maker:7"), start=1
        ):
            run(
                "INSERT INTO equipment_events (id, equipment_id, at, actor, kind, field, "
                f"old_value, new_value, reason) VALUES ({event_id}, 1, {at}, '{actor}', 'edited', "
                "'notes', '', '', '')"
            )
        run(
            "INSERT INTO maintenance_records (id, equipment_id, done_on, usage_hours, actor, notes,"
            f" recorded_at) VALUES (1, 1, '2026-01-05', 0, 'M00007', '', {at}), "
            f"(2, 1, '2026-01-06', 0, 'Ann Peeters', '', {at})"
        )
        run(
            "INSERT INTO audits (id, site_id, opened_at, opened_by, closed_at, closed_by) VALUES "
            f"(1, 1, {at}, 'maker:9', {at}, 'M00007'), (2, 1, {at}, 'alice', NULL, NULL)"
        )
        run(
            "INSERT INTO usage_sessions (id, uuid, equipment_id, active_seconds, assigned_by) "
            "VALUES (1, '0123456789abcdef0123456789abcdef', 1, 60, 'maker:9'), "
            "(2, 'fedcba9876543210fedcba9876543210', 1, 60, NULL)"
        )
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        assigned = connection.exec_driver_sql(
            "SELECT assigned_by_id FROM usage_sessions ORDER BY id"
        ).scalars()
        assert list(assigned) == [9, None]
        events = connection.exec_driver_sql(
            "SELECT actor_id FROM equipment_events ORDER BY id"
        ).scalars()
        records = connection.exec_driver_sql(
            "SELECT actor_id FROM maintenance_records ORDER BY id"
        ).scalars()
        audits = connection.exec_driver_sql(
            "SELECT opened_by_id, closed_by_id FROM audits ORDER BY id"
        ).all()
        columns = {
            table: {c["name"] for c in sa.inspect(connection).get_columns(table)}
            for table in ("equipment_events", "maintenance_records", "audits", "usage_sessions")
        }
    assert list(events) == [7, 9, None, None, None, None, 7]
    assert list(records) == [7, None]
    assert [tuple(row) for row in audits] == [(9, 7), (None, None)]
    assert not columns["equipment_events"] & {"actor"}
    assert not columns["maintenance_records"] & {"actor"}
    assert not columns["audits"] & {"opened_by", "closed_by"}
    assert "assigned_by" not in columns["usage_sessions"]
