"""What follows a stored batch, in the same transaction: sessions are attributed (badge, booking;
use counts as check-in and undoes a no-show), finished attributed sessions are charged once,
charged sessions whose totals changed since are re-priced (reversal + new revision), and the
machines that need a check after each use go to "to check".

The API calls `after_ingest` with the ids the ingest touched and finished; a replayed batch
touches nothing new, and every step is idempotent anyway (a charge is keyed by the session's
uuid, a re-price happens only when the totals differ from the charge).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.accounting.charges import ATTRIBUTED, post_usage_charge
from fabdesk.accounting.pricing import PriceRules
from fabdesk.accounting.settle import charged_session_ids, settle_charge
from fabdesk.models import Equipment, UsageCharge, UsageSession
from fabdesk.settings import Settings
from fabdesk.usage.attribution import attribute_sessions
from inventory.checks import mark_used


@dataclass(frozen=True)
class FollowUp:
    attached: list[int]
    """Sessions whose maker or booking was found (or changed) now."""
    charged: list[int]
    """Finished sessions charged now."""
    settled: list[int] = field(default_factory=list)
    """Charged sessions re-priced now because their totals changed."""


def after_ingest(
    session: Session,
    touched: Sequence[int],
    finished: Sequence[int],
    *,
    now: datetime,
    settings: Settings,
) -> FollowUp:
    attached = attribute_sessions(session, touched, now=now, settings=settings.scheduler)
    rules = PriceRules.from_settings(settings.accounting, settings.scheduler.timezone)
    # Finished now, or finished before and attributed only now (its badge came after its end).
    payable = (
        session.exec(
            select(UsageSession.id).where(
                col(UsageSession.id).in_(sorted({*touched, *finished})),
                col(UsageSession.ended_at).is_not(None),
                col(UsageSession.outcome).is_not(None),
                ATTRIBUTED,
                ~sa.exists().where(col(UsageCharge.usage_session_id) == col(UsageSession.id)),
            )
        ).all()
        if touched or finished
        else []
    )
    charged = [
        usage_id
        for usage_id in sorted(found for found in payable if found is not None)
        if post_usage_charge(session, usage_id, now=now, rules=rules) is not None
    ]
    earlier = [usage_id for usage_id in touched if usage_id not in set(finished)]
    settled = [
        usage_id
        for usage_id in charged_session_ids(session, earlier)
        if settle_charge(session, usage_id, now=now, rules=rules) is not None
    ]
    if finished:  # most machines need no check: one query finds none, and that is all
        to_check = session.exec(
            select(UsageSession.equipment_id)
            .join(Equipment, col(Equipment.id) == UsageSession.equipment_id)
            .where(col(UsageSession.id).in_(list(finished)), col(Equipment.check_after_use))
        ).all()
        if to_check:
            mark_used(session, to_check, cause="usage session ended", now=now)
    return FollowUp(attached=attached, charged=charged, settled=settled)
