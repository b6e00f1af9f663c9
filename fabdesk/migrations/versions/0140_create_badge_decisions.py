"""create badge decisions (badges at the machine, issue 15)

Revision ID: 0140
Revises: 0120
Create Date: 2026-12-06 06:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from fabdesk.models._types import UTCDateTime

revision = '0140'
down_revision = '0120'
branch_labels = ('badges',)
depends_on = ('0020', '0030')  # bookings, devices


def upgrade() -> None:
    op.create_table(
        'badge_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('equipment_id', sa.Integer(), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=True),
        sa.Column('maker_id', sa.Integer(), nullable=True),
        sa.Column('badge_hash', sa.String(length=64), nullable=False),
        sa.Column('decided_at', UTCDateTime(), nullable=False),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.Column('result', sa.String(length=64), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('offline_result', sa.String(length=64), nullable=True),
        sa.Column('event_uuid', sa.Uuid(), nullable=True),
        sa.Column('flagged', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_badge_decisions_booking_id_bookings')),
        sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_badge_decisions_device_id_devices')),
        sa.ForeignKeyConstraint(['equipment_id'], ['equipment.id'], name=op.f('fk_badge_decisions_equipment_id_equipment')),
        sa.ForeignKeyConstraint(['maker_id'], ['makers.id'], name=op.f('fk_badge_decisions_maker_id_makers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_decisions')),
        sa.UniqueConstraint('event_uuid', name=op.f('uq_badge_decisions_event_uuid')),
    )
    with op.batch_alter_table('badge_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_decisions_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_decisions_equipment_id'), ['equipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_badge_decisions_maker_id'), ['maker_id'], unique=False)


def downgrade() -> None:
    op.drop_table('badge_decisions')
