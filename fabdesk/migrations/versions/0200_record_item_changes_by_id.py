"""record who changed an item, recorded a maintenance, opened or closed an audit, assigned a
usage session by maker id instead of free text

Revision ID: 0200
Revises: 0180
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0200"
down_revision = "0180"
branch_labels = ("hard18b",)
depends_on = ("0010", "0130")  # cadastre tables; usage_sessions.assigned_by

_BY = (
    ("equipment_events", "actor", "actor_id", False, 120),
    ("maintenance_records", "actor", "actor_id", False, 120),
    ("audits", "opened_by", "opened_by_id", False, 120),
    ("audits", "closed_by", "closed_by_id", True, 120),
    ("usage_sessions", "assigned_by", "assigned_by_id", True, 64),
)
"""(table, the old free-text column, the new id column, whether the old one was nullable, its
length)."""
_INDEXED = {"equipment_events", "maintenance_records", "audits"}
"""Tables whose new columns are indexed (a history is read by person; usage is not)."""


def _maker_of(connection: sa.Connection, text: str) -> int | None:
    """The one maker a written name stands for: `maker:ID` (the kiosk's) or a member number (the
    import's); anything else (a login name, "seed", "fabdesk", a person's name) is nobody."""
    text = text.strip()
    if text.startswith("maker:") and text[6:].isdigit():
        query = sa.text("SELECT id FROM makers WHERE id = :value")
        return connection.execute(query, {"value": int(text[6:])}).scalar()
    query = sa.text("SELECT id FROM makers WHERE member_number = :value")
    return connection.execute(query, {"value": text}).scalar()


def upgrade() -> None:
    connection = op.get_bind()
    for table, old, new, *_ in _BY:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(new, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(op.f(f"fk_{table}_{new}_makers"), "makers", [new], ["id"])
            if table in _INDEXED:
                batch_op.create_index(batch_op.f(f"ix_{table}_{new}"), [new], unique=False)
        # Few distinct writers: each is looked up once, then its rows get the id.
        written = connection.execute(sa.text(f"SELECT DISTINCT {old} FROM {table}")).scalars()
        for text in [t for t in written if t]:
            maker_id = _maker_of(connection, text)
            if maker_id is not None:
                connection.execute(
                    sa.text(f"UPDATE {table} SET {new} = :id WHERE {old} = :text"),
                    {"id": maker_id, "text": text},
                )
    for table in dict.fromkeys(t for t, *_ in _BY):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, old, *_ in (row for row in _BY if row[0] == table):
                batch_op.drop_column(old)


def downgrade() -> None:
    for table, old, new, nullable, length in _BY:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    old,
                    sa.String(length=length),
                    nullable=nullable,
                    server_default=None if nullable else "",
                )
            )
        number = f"(SELECT m.member_number FROM makers AS m WHERE m.id = {table}.{new})"
        fallback = "NULL" if nullable else "''"
        op.execute(f"UPDATE {table} SET {old} = COALESCE({number}, {fallback})")
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table in _INDEXED:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{new}"))
            batch_op.drop_constraint(op.f(f"fk_{table}_{new}_makers"), type_="foreignkey")
            batch_op.drop_column(new)
