"""add cost and supplier to maintenance records

Revision ID: 0190
Revises: 0120
Create Date: 2026-12-06 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0190'
down_revision = '0120'
branch_labels = ('cadastre2',)
depends_on = '0010'  # cadastre tables (maintenance_records)


def upgrade() -> None:
    with op.batch_alter_table('maintenance_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_cents', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('supplier', sa.String(length=160), nullable=False, server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('maintenance_records', schema=None) as batch_op:
        batch_op.drop_column('supplier')
        batch_op.drop_column('cost_cents')
