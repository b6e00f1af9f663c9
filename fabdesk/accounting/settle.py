"""Sessions settle: a charged session whose totals changed since (progress or filament that
arrived after its end) is re-priced once, by a reversal and a new revision; see
docs/attribution.md. Idempotent: a charge that matches its session posts nothing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from fabdesk.accounting.charges import _facts, _pricing_facts, latest_charge, reverse_charge
from fabdesk.accounting.ledger import PostedTransaction
from fabdesk.accounting.pricing import PriceRules, price_session
from fabdesk.models import LedgerTransaction, UsageCharge

__all__ = ["charged_session_ids", "settle_charge"]

log = logging.getLogger(__name__)


def charged_session_ids(session: Session, usage_session_ids: Sequence[int]) -> list[int]:
    """The sessions among `usage_session_ids` that have a charge (one query)."""
    if not usage_session_ids:
        return []
    found = session.exec(
        select(UsageCharge.usage_session_id)
        .where(col(UsageCharge.usage_session_id).in_(list(usage_session_ids)))
        .distinct()
    ).all()
    return sorted(found)


def settle_charge(
    session: Session, usage_session_id: int, *, now: datetime, rules: PriceRules
) -> PostedTransaction | None:
    """Bring a charged session's charge in line with its totals: when its active time or its
    material changed after it was charged (progress or filament that arrived after the end),
    reverse the charge and post the session priced again as the next revision. Returns the
    reversal, or None when the charge already matches (idempotent: a replay changes nothing).
    A charge reversed by hand (a dispute) is left alone."""
    latest = latest_charge(session, usage_session_id)
    if latest is None:
        return None
    reversed_already = session.exec(
        select(LedgerTransaction.id).where(LedgerTransaction.reverses_id == latest.transaction_id)
    ).first()
    if reversed_already is not None:
        return None
    usage = _facts(session, usage_session_id).usage
    grams = price_session(_pricing_facts(usage, 0.0), rules).material_grams
    if latest.active_seconds == float(usage.active_seconds) and latest.material_grams == float(
        grams
    ):
        return None
    log.info(
        "usage_charge_settled",
        extra={"session_id": str(usage.uuid), "revision": latest.revision + 1},
    )
    return reverse_charge(session, usage_session_id, now=now, zone=rules.zone, repost=rules)
