"""A maker's recent usage sessions as the drivers measured them, newest first (the kiosk's Me)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from fabdesk.models import Equipment, UsageSession
from fabdesk.wire import Outcome

__all__ = ["UsageLine", "recent_sessions"]


@dataclass(frozen=True)
class UsageLine:
    usage_session_id: int
    machine: str
    started_at: datetime
    ended_at: datetime | None
    """None while the session runs."""
    active_minutes: int
    """The machine's measured active time, to the nearest minute."""
    outcome: Outcome | None


def recent_sessions(session: Session, maker_id: int, *, limit: int = 10) -> list[UsageLine]:
    """The last `limit` usage sessions of a maker (those with a start), newest first."""
    rows = session.exec(
        select(UsageSession, Equipment.name)
        .join(Equipment, col(Equipment.id) == UsageSession.equipment_id)
        .where(UsageSession.maker_id == maker_id, col(UsageSession.started_at).is_not(None))
        .order_by(col(UsageSession.started_at).desc(), col(UsageSession.id).desc())
        .limit(limit)
    ).all()
    return [
        UsageLine(
            usage_session_id=usage.id or 0,
            machine=machine,
            started_at=usage.started_at,
            ended_at=usage.ended_at,
            active_minutes=round(usage.active_seconds / 60),
            outcome=usage.outcome,
        )
        for usage, machine in rows
        if usage.started_at is not None
    ]
