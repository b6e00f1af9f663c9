"""bill sheet material sales to paying organisations

Revision ID: 0171
Revises: 0170
Create Date: 2026-12-06 06:05:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0171'
down_revision = '0170'
branch_labels = None
depends_on = '0100'  # material sales and organisations


def upgrade() -> None:
    with op.batch_alter_table('material_sales', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_material_sales_organisation_id'), ['organisation_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_material_sales_organisation_id_organisations'),
            'organisations',
            ['organisation_id'],
            ['id'],
        )


def downgrade() -> None:
    with op.batch_alter_table('material_sales', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_material_sales_organisation_id_organisations'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_material_sales_organisation_id'))
        batch_op.drop_column('organisation_id')
