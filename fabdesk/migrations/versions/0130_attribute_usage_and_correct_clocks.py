"""attribute usage sessions (badge, booking, manager) and correct device clocks

Revision ID: 0130
Revises: 0120
Create Date: 2026-12-06 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0130'
down_revision = '0120'
branch_labels = ('attribution',)
depends_on = ('0030', '0100')  # devices; organisations (which needs the ledger)


def upgrade() -> None:
    with op.batch_alter_table('usage_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_event_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('badge', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('attributed_by', sa.Enum('badge', 'booking', 'check_in', 'manager', name='attributedby', native_enum=False, length=8), nullable=True))
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lab_site_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assigned_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_usage_sessions_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_usage_sessions_lab_site_id_sites'), 'sites', ['lab_site_id'], ['id'])

    with op.batch_alter_table('ingested_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('badge', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('clock_corrected', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('machine_status', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clock_suspect', sa.Boolean(), nullable=False, server_default=sa.false()))

    # Sessions attached to a booking before attribution existed were attributed by it.
    op.execute(
        "UPDATE usage_sessions SET attributed_by = 'booking' WHERE booking_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('machine_status', schema=None) as batch_op:
        batch_op.drop_column('clock_suspect')

    with op.batch_alter_table('ingested_events', schema=None) as batch_op:
        batch_op.drop_column('clock_corrected')
        batch_op.drop_column('badge')

    with op.batch_alter_table('usage_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_usage_sessions_lab_site_id_sites'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_usage_sessions_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('assigned_by')
        batch_op.drop_column('lab_site_id')
        batch_op.drop_column('organisation_id')
        batch_op.drop_column('attributed_by')
        batch_op.drop_column('badge')
        batch_op.drop_column('last_event_at')
