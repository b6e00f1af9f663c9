"""Alembic environment: runs against the engine handed in by fabdesk.db.alembic_config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from fabdesk.models import load_all

target_metadata = load_all()


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies and drops tables: with foreign keys on, the drop would
            # cascade into (or be refused by) the rows that point at them. Checked again after.
            # The pragma is ignored inside a transaction: set it on the raw connection first.
            _set_foreign_keys(connection, on=False)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows with broken foreign keys: {broken}")
        connection.commit()
        if sqlite:
            _set_foreign_keys(connection, on=True)


def _set_foreign_keys(connection: Connection, *, on: bool) -> None:
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")  # type: ignore[union-attr]


run_migrations_online()
