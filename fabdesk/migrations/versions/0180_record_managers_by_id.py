"""record managers by id: the managers' audit log, their API tokens, disputes and problems
decided by a manager's id instead of a free-text name; calendar tokens kept hashed

Revision ID: 0180
Revises: 0120
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

from fabdesk.models._types import UTCDateTime

revision = "0180"
down_revision = "0120"
branch_labels = ("hardening",)
depends_on = ("0020", "0050", "0070")  # calendar_tokens; manager_credentials; disputes, problems

# A name or member number written before this revision becomes the id of the one maker it names
# (else nobody): the free text then goes.
_MATCH = (
    "(SELECT m.id FROM makers AS m WHERE m.member_number = {table}.{column} "
    "OR m.name = {table}.{column} ORDER BY m.id LIMIT 1)"
)
_BY = {"charge_disputes": ("decided_by", "decided_by_id"), "problem_reports": ("resolved_by", "resolved_by_id")}


def upgrade() -> None:
    op.create_table(
        "manager_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["manager_id"], ["makers.id"], name=op.f("fk_manager_actions_manager_id_makers")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_manager_actions_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_actions")),
    )
    op.create_index(op.f("ix_manager_actions_manager_id"), "manager_actions", ["manager_id"])
    op.create_index(op.f("ix_manager_actions_at"), "manager_actions", ["at"])
    op.create_table(
        "manager_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["makers.id"], name=op.f("fk_manager_tokens_manager_id_makers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manager_tokens")),
    )
    op.create_index(op.f("ix_manager_tokens_manager_id"), "manager_tokens", ["manager_id"])
    op.create_index(op.f("ix_manager_tokens_token_hash"), "manager_tokens", ["token_hash"], unique=True)
    for table, (old, new) in _BY.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(new, sa.Integer(), nullable=True))
            batch_op.create_foreign_key(op.f(f"fk_{table}_{new}_makers"), "makers", [new], ["id"])
        op.execute(f"UPDATE {table} SET {new} = {_MATCH.format(table=table, column=old)}")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(old)
    # Calendar tokens are kept as their SHA-256 from now on: the feed addresses keep working.
    connection = op.get_bind()
    tokens = sa.table("calendar_tokens", sa.column("maker_id"), sa.column("token"))
    for maker_id, token in connection.execute(sa.select(tokens.c.maker_id, tokens.c.token)).all():
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        connection.execute(tokens.update().where(tokens.c.maker_id == maker_id).values(token=digest))


def downgrade() -> None:
    # Hashed calendar tokens cannot be turned back: the makers get new feed addresses.
    op.execute("DELETE FROM calendar_tokens")
    for table, (old, new) in _BY.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(old, sa.String(length=120), nullable=False, server_default=""))
        op.execute(
            f"UPDATE {table} SET {old} = COALESCE((SELECT m.member_number FROM makers AS m "
            f"WHERE m.id = {table}.{new}), '')"
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"fk_{table}_{new}_makers"), type_="foreignkey")
            batch_op.drop_column(new)
    op.drop_index(op.f("ix_manager_tokens_token_hash"), table_name="manager_tokens")
    op.drop_index(op.f("ix_manager_tokens_manager_id"), table_name="manager_tokens")
    op.drop_table("manager_tokens")
    op.drop_index(op.f("ix_manager_actions_at"), table_name="manager_actions")
    op.drop_index(op.f("ix_manager_actions_manager_id"), table_name="manager_actions")
    op.drop_table("manager_actions")
