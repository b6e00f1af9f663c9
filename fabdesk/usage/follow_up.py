"""What follows a stored batch, in the same transaction: sessions find their booking (use counts as
check-in), finished sessions are charged once, and their machines that need a check after each
use go to "to check".

The API calls `after_ingest` with the ids the ingest touched and finished; a replayed batch
touches nothing new, and both steps are idempotent anyway (attached sessions are left alone, a
charge is keyed by the session's uuid).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from fabdesk.accounting.charges import post_usage_charge
from fabdesk.accounting.pricing import PriceRules
from fabdesk.models import Equipment, UsageSession
from fabdesk.settings import Settings
from inventory.checks import mark_used
from scheduling.usage import attach_usage


@dataclass(frozen=True)
class FollowUp:
    attached: list[int]
    """Sessions that found their booking now."""
    charged: list[int]
    """Finished sessions charged now."""


def after_ingest(
    session: Session,
    touched: Sequence[int],
    finished: Sequence[int],
    *,
    now: datetime,
    settings: Settings,
) -> FollowUp:
    attached = attach_usage(session, touched, now=now, settings=settings.scheduler)
    rules = PriceRules.from_settings(settings.accounting)
    charged = [
        usage_id
        for usage_id in finished
        if post_usage_charge(session, usage_id, now=now, rules=rules) is not None
    ]
    if finished:  # most machines need no check: one query finds none, and that is all
        to_check = session.exec(
            select(UsageSession.equipment_id)
            .join(Equipment, col(Equipment.id) == UsageSession.equipment_id)
            .where(col(UsageSession.id).in_(list(finished)), col(Equipment.check_after_use))
        ).all()
        if to_check:
            mark_used(session, to_check, cause="usage session ended", now=now)
    return FollowUp(attached=attached, charged=charged)
