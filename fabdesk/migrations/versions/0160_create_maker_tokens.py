"""create maker tokens (the maker API's personal access tokens)

Revision ID: 0160
Revises: 0120
Create Date: 2026-12-06 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import fabdesk.models._types

revision = '0160'
down_revision = '0120'
branch_labels = ('makerapi',)
depends_on = None


def upgrade() -> None:
    op.create_table('maker_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('maker_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('token_hint', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', fabdesk.models._types.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', fabdesk.models._types.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', fabdesk.models._types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['maker_id'], ['makers.id'], name=op.f('fk_maker_tokens_maker_id_makers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_maker_tokens'))
    )
    with op.batch_alter_table('maker_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maker_tokens_maker_id'), ['maker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_maker_tokens_token_hash'), ['token_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('maker_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_maker_tokens_token_hash'))
        batch_op.drop_index(batch_op.f('ix_maker_tokens_maker_id'))

    op.drop_table('maker_tokens')
