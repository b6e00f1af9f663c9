"""Accounting tables: double-entry ledger, periods, usage charges, cheque programmes, cheques.

The ledger is append-only: a transaction and its postings are never updated or deleted; a
correction is a reversal transaction. Balances are sums of postings. A posting's amount is in
cents, positive for a debit and negative for a credit; the postings of a transaction sum to zero.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models import equipment, makers, sites, usage  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import str_enum, utc_column


class AccountKind(StrEnum):
    MAKER = "maker"
    """What a maker owes the lab (debit balance)."""
    CHEQUE = "cheque"
    """Value left on a cheque (credit balance)."""
    PROGRAMME = "programme"
    """A cheque programme: value issued on the funder's behalf, net of what expired (debit)."""
    INVESTOR = "investor"
    """What the lab owes a co-investor from machine revenue (credit balance)."""
    REVENUE = "revenue"
    """A machine's revenue the lab keeps (credit balance)."""
    VAT = "vat"
    """VAT collected, owed to the state (credit balance)."""
    MATERIALS = "materials"
    """Material sold, at cost (credit balance)."""
    BANK = "bank"
    """Money received (debit balance)."""
    ORGANISATION = "organisation"
    """What a paying organisation (a partner school or company) owes the lab (debit balance)."""
    LAB = "lab"
    """A lab's own use of its machines (owner: the site), named `lab:<site id>`."""


class TransactionKind(StrEnum):
    CHARGE = "charge"
    REVERSAL = "reversal"
    CHEQUE_ISSUE = "cheque_issue"
    CHEQUE_EXPIRY = "cheque_expiry"
    PAYMENT = "payment"
    MATERIAL_SALE = "material_sale"


class LedgerAccount(SQLModel, table=True):
    __tablename__ = "ledger_accounts"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True, index=True)
    """Stable key, e.g. `maker:12`, `cheque:3`, `investor:2`, `revenue:7`, `vat`."""
    kind: AccountKind = Field(sa_type=str_enum(AccountKind))
    owner_id: int | None = None
    """Id of the maker, cheque, programme, investor or equipment the account belongs to."""
    name: str = Field(default="", max_length=200)


class LedgerPeriod(SQLModel, table=True):
    """A closed month. A month without a row is open; a closed month never changes."""

    __tablename__ = "ledger_periods"

    month: str = Field(primary_key=True, max_length=7)
    """`YYYY-MM` (months of the ledger's zone: `scheduler.timezone`)."""
    closed_at: datetime = Field(sa_column=utc_column())
    transaction_count: int
    posting_count: int
    debit_total_cents: int = Field(sa_type=sa.BigInteger)
    """Sum of the debits booked in the month: with the counts, the fingerprint checked later."""


class LedgerTransaction(SQLModel, table=True):
    __tablename__ = "ledger_transactions"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100, unique=True, index=True)
    """Idempotency key, e.g. `charge:<session uuid>`: the same key is never posted twice."""
    kind: TransactionKind = Field(sa_type=str_enum(TransactionKind))
    month: str = Field(max_length=7, index=True)
    """The period the transaction is booked in (an open one)."""
    booked_at: datetime = Field(sa_column=utc_column())
    occurred_on: date
    """The real date of what it records (a late session keeps its own date here)."""
    memo: str = Field(default="", max_length=200)
    maker_id: int | None = Field(default=None, foreign_key="makers.id", index=True)
    equipment_id: int | None = Field(default=None, foreign_key="equipment.id", index=True)
    reverses_id: int | None = Field(
        default=None, foreign_key="ledger_transactions.id", unique=True, index=True
    )


class LedgerPosting(SQLModel, table=True):
    __tablename__ = "ledger_postings"
    # Both covering: a month's movements per account (close), an account's balance (statements).
    __table_args__ = (
        sa.Index("ix_ledger_postings_month_account", "month", "account_id", "amount_cents"),
        sa.Index("ix_ledger_postings_account_month", "account_id", "month", "amount_cents"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int = Field(foreign_key="ledger_transactions.id", index=True)
    account_id: int = Field(foreign_key="ledger_accounts.id")
    month: str = Field(max_length=7)
    """Copy of the transaction's month, so closing a period reads one table."""
    amount_cents: int = Field(sa_type=sa.BigInteger)
    """Positive: debit; negative: credit."""


class PeriodBalance(SQLModel, table=True):
    """An account's movement in a closed month and its balance at the month's end."""

    __tablename__ = "ledger_period_balances"

    month: str = Field(foreign_key="ledger_periods.month", primary_key=True, max_length=7)
    account_id: int = Field(foreign_key="ledger_accounts.id", primary_key=True)
    movement_cents: int = Field(sa_type=sa.BigInteger)
    closing_cents: int = Field(sa_type=sa.BigInteger)


class PeriodUsage(SQLModel, table=True):
    """Usage of one machine by one sector in a closed month (sessions that ended in it)."""

    __tablename__ = "ledger_period_usage"

    month: str = Field(foreign_key="ledger_periods.month", primary_key=True, max_length=7)
    equipment_id: int = Field(foreign_key="equipment.id", primary_key=True)
    sector: str = Field(primary_key=True, max_length=16)
    """The maker's sector, `none` when unknown."""
    sessions: int
    active_seconds: float


class UsageCharge(SQLModel, table=True):
    """How one usage session was priced and paid: the detail behind its charge transaction."""

    __tablename__ = "usage_charges"
    __table_args__ = (
        sa.UniqueConstraint("usage_session_id", "revision"),
        # Covering: a month's usage by machine and sector (period close, sector reports).
        sa.Index(
            "ix_usage_charges_day_usage",
            "occurred_on",
            "revision",
            "equipment_id",
            "sector",
            "active_seconds",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    usage_session_id: int = Field(foreign_key="usage_sessions.id", index=True)
    revision: int = 1
    """1 for the first charge; a correction (reversal + new charge) posts revision 2, 3…"""
    transaction_id: int = Field(foreign_key="ledger_transactions.id", unique=True)
    maker_id: int | None = Field(default=None, foreign_key="makers.id", index=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    month: str = Field(max_length=7, index=True)
    occurred_on: date
    billed_minutes: int
    active_seconds: float = 0
    """The session's active time, as measured."""
    sector: str | None = Field(default=None, max_length=16)
    """The maker's sector when the session was charged (for the Region's monitoring)."""
    tier: str | None = Field(default=None, max_length=16)
    """The maker's price tier when the session was charged."""
    rights_seconds: float = 0
    rights_investor_id: int | None = Field(default=None, foreign_key="investors.id")
    time_cents: int
    material_cents: int
    material_grams: float
    material_cost_cents: int
    total_cents: int
    vat_cents: int
    cheque_cents: int
    maker_cents: int
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    """The organisation billed instead of the maker (a booking on its behalf); then
    `maker_cents` is what the organisation pays."""


class ChequeProgramme(SQLModel, table=True):
    """A funded scheme of maker cheques (e.g. the Region's chèques-makers)."""

    __tablename__ = "cheque_programmes"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=160)
    funder_id: int = Field(foreign_key="investors.id", index=True)
    face_value_cents: int = Field(gt=0)
    copay_basis_points: int = Field(ge=0, le=10000)
    """Share of a charge the maker still pays (2000 = 20 %)."""
    sectors: str = Field(default="", max_length=200)
    """Eligible sectors, comma-separated; empty: any."""
    category_codes: str = Field(default="", max_length=300)
    """Eligible machine categories, comma-separated; empty: any."""
    valid_from: date
    valid_until: date
    cheque_validity_days: int = Field(default=365, gt=0)
    """A cheque is valid this many days from its issue (never after `valid_until`)."""
    cap_cents_per_maker_year: int = Field(default=0, ge=0)
    """Most face value one maker may receive in a calendar year; 0: one cheque's face value."""

    def sector_list(self) -> list[str]:
        return [s for s in self.sectors.split(",") if s]

    def category_list(self) -> list[str]:
        return [c for c in self.category_codes.split(",") if c]


class Cheque(SQLModel, table=True):
    """One cheque issued to a maker; its code is printed as a QR the kiosk scans."""

    __tablename__ = "cheques"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    programme_id: int = Field(foreign_key="cheque_programmes.id", index=True)
    maker_id: int = Field(foreign_key="makers.id", index=True)
    face_value_cents: int = Field(gt=0)
    issued_on: date
    expires_on: date


class InvestorMember(SQLModel, table=True):
    """A maker who uses a co-investor's usage rights (a school's student, a company's staff)."""

    __tablename__ = "investor_members"

    investor_id: int = Field(foreign_key="investors.id", primary_key=True)
    maker_id: int = Field(foreign_key="makers.id", primary_key=True, index=True)


class EquipmentCost(SQLModel, table=True):
    """A machine's yearly costs, for the cost-price report (cooperative style)."""

    __tablename__ = "equipment_costs"

    equipment_id: int = Field(foreign_key="equipment.id", primary_key=True)
    year: int = Field(primary_key=True)
    depreciation_cents: int = Field(default=0, ge=0)
    maintenance_cents: int = Field(default=0, ge=0)
    consumables_cents: int = Field(default=0, ge=0)


class SheetMaterial(SQLModel, table=True):
    """A sheet material a site sells at the desk by the unit (e.g. `MDF 3 mm 600x400`)."""

    __tablename__ = "sheet_materials"
    __table_args__ = (sa.UniqueConstraint("site_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="sites.id", index=True)
    code: str = Field(max_length=32)
    """Short code typed at the desk, unique per site, e.g. `MDF3-600`."""
    name: str = Field(max_length=160)
    unit_price_cents: int = Field(ge=0)
    """What a maker pays for one unit, VAT included (as every rate)."""
    unit_cost_cents: int = Field(ge=0)
    """What one unit cost the lab (material at cost is kept out of co-investor revenue)."""
    active: bool = True
    """Still sold (a material is retired, never deleted: past sales name it)."""


class MaterialSale(SQLModel, table=True):
    """Units of a sheet material sold at the desk: the detail behind its ledger transaction."""

    __tablename__ = "material_sales"

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int = Field(foreign_key="ledger_transactions.id", unique=True)
    material_id: int = Field(foreign_key="sheet_materials.id", index=True)
    maker_id: int | None = Field(default=None, foreign_key="makers.id", index=True)
    """The maker billed; None: paid at the till (cash or card)."""
    equipment_id: int | None = Field(default=None, foreign_key="equipment.id", index=True)
    """The machine the material is for: its co-investors share the margin."""
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    """The organisation billed instead of the maker (`maker_id`: who took the material)."""
    quantity: int = Field(gt=0)
    occurred_on: date
    month: str = Field(max_length=7, index=True)
    unit_price_cents: int
    total_cents: int
    vat_cents: int
    cost_cents: int
