"""create invoices and credit notes, their items and counters; organisations' addresses

Revision ID: 0172
Revises: 0171
Create Date: 2026-12-06 06:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0172'
down_revision = '0171'
branch_labels = None
depends_on = ('0040', '0100')  # ledger transactions; organisations


def upgrade() -> None:
    op.create_table(
        'invoices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('series', sa.String(length=8), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('credit_note', sa.Boolean(), nullable=False),
        sa.Column('maker_id', sa.Integer(), nullable=True),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('issued_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('communication', sa.String(length=12), nullable=False),
        sa.Column('credits_invoice_id', sa.Integer(), nullable=True),
        sa.Column('total_cents', sa.BigInteger(), nullable=False),
        sa.Column('vat_cents', sa.BigInteger(), nullable=False),
        sa.Column('cheque_cents', sa.BigInteger(), nullable=False),
        sa.Column('to_pay_cents', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['maker_id'], ['makers.id'], name=op.f('fk_invoices_maker_id_makers')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_invoices_organisation_id_organisations')),
        sa.ForeignKeyConstraint(['credits_invoice_id'], ['invoices.id'], name=op.f('fk_invoices_credits_invoice_id_invoices')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
        sa.UniqueConstraint('series', 'year', 'number', name=op.f('uq_invoices_series_year_number')),
        sa.UniqueConstraint('communication', name=op.f('uq_invoices_communication')),
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_maker_id'), ['maker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_organisation_id'), ['organisation_id'], unique=False)
    op.create_table(
        'invoice_items',
        sa.Column('transaction_id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_items_invoice_id_invoices')),
        sa.ForeignKeyConstraint(['transaction_id'], ['ledger_transactions.id'], name=op.f('fk_invoice_items_transaction_id_ledger_transactions')),
        sa.PrimaryKeyConstraint('transaction_id', name=op.f('pk_invoice_items')),
    )
    with op.batch_alter_table('invoice_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_items_invoice_id'), ['invoice_id'], unique=False)
    op.create_table(
        'invoice_counters',
        sa.Column('series', sa.String(length=8), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('series', 'year', name=op.f('pk_invoice_counters')),
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('address')
    op.drop_table('invoice_counters')
    op.drop_table('invoice_items')
    op.drop_table('invoices')
