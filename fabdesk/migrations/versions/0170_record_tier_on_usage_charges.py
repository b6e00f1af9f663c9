"""record the maker's tier on each usage charge (the sector is already there)

Revision ID: 0170
Revises: 0120
Create Date: 2026-12-06 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0170'
down_revision = '0120'
branch_labels = ('accounting3',)
depends_on = '0040'  # usage charges


def upgrade() -> None:
    with op.batch_alter_table('usage_charges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('usage_charges', schema=None) as batch_op:
        batch_op.drop_column('tier')
