"""Charge disputes: a maker contests a usage charge; a manager accepts (reversal) or refuses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from fabdesk.models import ledger, makers  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import str_enum, utc_column


class DisputeState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class ChargeDispute(SQLModel, table=True):
    """A maker's dispute of one of their usage charges. One open dispute per charge at a time."""

    __tablename__ = "charge_disputes"
    __table_args__ = (
        sa.Index(
            "ux_charge_disputes_open_charge",
            "usage_charge_id",
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    usage_charge_id: int = Field(foreign_key="usage_charges.id", index=True)
    maker_id: int = Field(foreign_key="makers.id", index=True)
    reason: str = Field(max_length=500)
    state: DisputeState = Field(
        default=DisputeState.OPEN, sa_type=str_enum(DisputeState), index=True
    )
    opened_at: datetime = Field(sa_column=utc_column())
    decided_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    decided_by_id: int | None = Field(default=None, foreign_key="makers.id")
    """The manager who decided (by id)."""
    decision_reason: str = Field(default="", max_length=500)
    reversal_id: int | None = Field(default=None, foreign_key="ledger_transactions.id")
    """The reversal transaction posted when the dispute was accepted."""
