"""create bank transactions: bank statement lines imported once, matched to invoices

Revision ID: 0173
Revises: 0172
Create Date: 2026-12-06 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0173'
down_revision = '0172'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'bank_transactions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=80), nullable=False),
        sa.Column('booked_on', sa.Date(), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('counterparty_name', sa.String(length=140), nullable=False),
        sa.Column('counterparty_account', sa.String(length=40), nullable=False),
        sa.Column('communication', sa.String(length=140), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=True),
        sa.Column('matched_by', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_bank_transactions_invoice_id_invoices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_transactions')),
        sa.UniqueConstraint('reference', name=op.f('uq_bank_transactions_reference')),
    )
    with op.batch_alter_table('bank_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_transactions_invoice_id'), ['invoice_id'], unique=False)


def downgrade() -> None:
    op.drop_table('bank_transactions')
