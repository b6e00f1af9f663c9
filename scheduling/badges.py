"""May this badge use this machine now? The answer a machine's driver asks for, its allow-list for
when the server cannot be reached, and the check of what it decided alone.

Rules, in order (each refusal code is in docs/refusals.md): the badge must be known
(`badge_unknown`); a manager of the machine's site may always use it (`bypass`); the machine must
be in service and not waiting for its check (`machine_unavailable`, `machine_to_check`); the maker
certified, not lapsed, not suspended (`not_certified`, `training_lapsed`, `maker_suspended`); then
either their booking is running, or someone else's is (`machine_booked`), or the machine is free
and walk-ins at the machine are allowed (`walk_in_not_allowed`): the walk-in booking is made
through `walk_in`, whose own refusals (opening hours, quotas…) are the answer.

Every decision is recorded (`BadgeDecision`). The services take a session and plain values and
never commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.errors import NotFound, RuleViolation, Violation
from fabdesk.models import (
    LIVE_STATES,
    BadgeDecision,
    Booking,
    Certification,
    Equipment,
    EquipmentCategory,
    Maker,
    MakerSuspension,
    ManagerCredential,
    Site,
    UsageSession,
)
from fabdesk.settings import SchedulerSettings
from fabdesk.wire import ALLOW, AllowedBadge, AllowList, BookedSlot, badge_digest
from inventory.makers import find_by_badge
from scheduling import rules
from scheduling._sql import instant
from scheduling.bookings import walk_in
from scheduling.facts import gather_facts
from scheduling.lookups import current_booking
from scheduling.machines import Machine, load_machine
from scheduling.rules import Proposal

__all__ = [
    "ACCESS_CODES",
    "Decision",
    "FlaggedUse",
    "Offline",
    "allow_list",
    "decide",
    "flagged_uses",
    "recheck_offline",
    "record",
]

ACCESS_CODES = frozenset(
    {"machine_unavailable", "machine_to_check", "not_certified", "training_lapsed",
     "maker_suspended"}
)  # fmt: skip
"""The booking rules that also hold at the machine (the others are about booking ahead)."""

BOOKINGS_AHEAD = timedelta(hours=12)
"""How far ahead an allow-list lists the machine's bookings."""


@dataclass(frozen=True)
class Decision:
    result: str
    """ALLOW or a refusal code."""
    maker_id: int | None
    language: str | None
    """The maker's language (None: the badge is not known)."""
    sentence: Violation | None = None
    """What to tell the maker: the refusal, or the welcome (its code is "allow")."""
    booking_id: int | None = None
    ends_at: datetime | None = None
    bypass: bool = False

    @property
    def allowed(self) -> bool:
        return self.result == ALLOW


def _refuse(maker: Maker | None, violation: Violation) -> Decision:
    return Decision(
        violation.code,
        maker.id if maker else None,
        maker.language if maker else None,
        violation,
    )


def _welcome(machine: Machine) -> Violation:
    return Violation(ALLOW, "Welcome: you may use {machine}.", {"machine": machine.name})


def _is_manager(session: Session, maker_id: int, site_id: int) -> bool:
    found = session.exec(
        select(ManagerCredential.maker_id).where(
            ManagerCredential.maker_id == maker_id,
            (col(ManagerCredential.site_id).is_(None)) | (ManagerCredential.site_id == site_id),
        )
    ).first()
    return found is not None


def _access(session: Session, machine: Machine, maker_id: int, now: datetime) -> Violation | None:
    proposal = Proposal(maker_id, machine.id, now, now + timedelta(minutes=1), now)
    facts = gather_facts(session, machine, proposal)
    broken = [v for v in rules.check(proposal, facts) if v.code in ACCESS_CODES]
    return broken[0] if broken else None


def decide(
    session: Session,
    *,
    equipment_id: int,
    badge: str,
    now: datetime,
    settings: SchedulerSettings,
    walk_in_minutes: int,
    make_walk_in: bool = True,
) -> Decision:
    """The answer to `badge` at the machine at `now`. A walk-in booking of `walk_in_minutes`
    is made when the machine is free (0: no walk-ins at the machine); with `make_walk_in` off
    (checking an offline decision after the fact) the free machine is only noted as allowed."""
    try:
        maker = find_by_badge(session, badge)
    except NotFound:
        return _refuse(None, Violation("badge_unknown", "This badge is not known here.", {}))
    maker_id = maker.id
    assert maker_id is not None
    machine = load_machine(session, equipment_id, settings)
    if _is_manager(session, maker_id, machine.site_id):
        return Decision(ALLOW, maker_id, maker.language, _welcome(machine), bypass=True)
    broken = _access(session, machine, maker_id, now)
    if broken is not None:
        return _refuse(maker, broken)
    booking = current_booking(session, equipment_id, now)
    if booking is not None and booking.maker_id != maker_id:
        return _refuse(
            maker,
            Violation(
                "machine_booked",
                "{machine} is booked by someone else until {ends_at}.",
                {
                    "machine": machine.name,
                    "ends_at": rules.local_iso(booking.ends_at, machine.timezone),
                },
            ),
        )
    if booking is None and walk_in_minutes <= 0:
        return _refuse(
            maker,
            Violation(
                "walk_in_not_allowed",
                "{machine} must be booked before it is used.",
                {"machine": machine.name},
            ),
        )
    if booking is None and make_walk_in:
        try:
            booking = walk_in(
                session,
                maker_id=maker_id,
                equipment_id=equipment_id,
                length=timedelta(minutes=walk_in_minutes),
                now=now,
                settings=settings,
            )
        except RuleViolation as refused:
            return _refuse(maker, refused.violations[0])
    return Decision(
        ALLOW,
        maker_id,
        maker.language,
        _welcome(machine),
        booking_id=booking.id if booking else None,
        ends_at=booking.ends_at if booking else None,
    )


def _hash(badge: str) -> str:
    return hashlib.sha256(badge.strip().upper().encode()).hexdigest()


def record(
    session: Session,
    *,
    equipment_id: int,
    device_id: int | None,
    badge: str,
    decision: Decision,
    decided_at: datetime,
    now: datetime,
    offline: Offline | None = None,
) -> BadgeDecision:
    """Keep one decision: who (maker id, the badge's hash), which machine, when, the result."""
    row = BadgeDecision(
        equipment_id=equipment_id,
        device_id=device_id,
        maker_id=decision.maker_id,
        badge_hash=_hash(badge),
        decided_at=decided_at,
        recorded_at=now,
        result=decision.result,
        booking_id=decision.booking_id,
        source="offline" if offline else "server",
        offline_result=offline.result if offline else None,
        event_uuid=offline.event_id if offline else None,
        flagged=bool(offline and offline.result == ALLOW and not decision.allowed),
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Offline:
    """A use the driver allowed (or refused) alone, as its session_started event tells it."""

    event_id: UUID
    badge: str
    result: str
    device_time: datetime


def recheck_offline(
    session: Session,
    *,
    equipment_id: int,
    device_id: int,
    uses: Sequence[Offline],
    now: datetime,
    settings: SchedulerSettings,
    walk_in_minutes: int,
) -> list[BadgeDecision]:
    """Check each offline decision again at the time the badge was read, once per event; a use
    the server refuses is flagged (never dropped: its session is stored and charged as usual)."""
    if not uses:
        return []
    seen = set(
        session.exec(
            select(BadgeDecision.event_uuid).where(
                col(BadgeDecision.event_uuid).in_([use.event_id for use in uses])
            )
        ).all()
    )
    rows = []
    for use in uses:
        if use.event_id in seen:
            continue
        decision = decide(
            session,
            equipment_id=equipment_id,
            badge=use.badge,
            now=use.device_time,
            settings=settings,
            walk_in_minutes=walk_in_minutes,
            make_walk_in=False,
        )
        rows.append(
            record(
                session,
                equipment_id=equipment_id,
                device_id=device_id,
                badge=use.badge,
                decision=decision,
                decided_at=use.device_time,
                now=now,
                offline=use,
            )
        )
    return rows


@dataclass(frozen=True)
class FlaggedUse:
    """A use a driver allowed offline that the server refuses: for the managers to look at."""

    decision_id: int
    equipment_tag: str
    site_code: str
    timezone: str
    maker_id: int | None
    member_number: str | None
    decided_at: datetime
    result: str
    """The server's refusal code."""
    offline_result: str | None


def flagged_uses(session: Session, *, site_code: str | None = None) -> list[FlaggedUse]:
    """Flagged uses, newest first, of one site or all (managers' list: ids, no names)."""
    query = (
        sa.select(
            BadgeDecision,
            col(Equipment.asset_tag),
            col(Site.code),
            col(Site.timezone),
            col(Maker.member_number),
        )
        .join(Equipment, col(Equipment.id) == BadgeDecision.equipment_id)
        .join(Site, col(Site.id) == Equipment.site_id)
        .outerjoin(Maker, col(Maker.id) == BadgeDecision.maker_id)
        .where(col(BadgeDecision.flagged))
    )
    if site_code is not None:
        query = query.where(col(Site.code) == site_code)
    rows = session.execute(query.order_by(col(BadgeDecision.decided_at).desc())).all()
    return [
        FlaggedUse(
            decision_id=decision.id or 0,
            equipment_tag=tag,
            site_code=code,
            timezone=timezone,
            maker_id=decision.maker_id,
            member_number=member,
            decided_at=decision.decided_at,
            result=decision.result,
            offline_result=decision.offline_result,
        )
        for decision, tag, code, timezone, member in rows
    ]


def allow_list(
    session: Session,
    *,
    equipment_id: int,
    now: datetime,
    settings: SchedulerSettings,
    walk_in_minutes: int,
    salt: str,
) -> AllowList:
    """Who may use the machine (badges hashed with `salt`, maker ids, no names), with the dates
    their right ends, and the machine's bookings of the next hours."""
    machine = load_machine(session, equipment_id, settings)
    tag = session.exec(select(Equipment.asset_tag).where(Equipment.id == equipment_id)).one()
    today = now.astimezone(ZoneInfo(machine.timezone)).date()
    makers = select(Maker.id, Maker.badge_id, Maker.language).where(
        col(Maker.badge_id).is_not(None)
    )
    expiry: dict[int, date | None] = {}
    granted: dict[int, date] = {}
    if machine.needs_training:
        certified = session.exec(
            select(Certification).where(
                Certification.category_id == machine.training_category_id,
                Certification.granted_on <= today,
                (col(Certification.expires_on).is_(None))
                | (col(Certification.expires_on) >= today),
            )
        ).all()
        for row in certified:
            maker_id, expires_on = row.maker_id, row.expires_on
            known = expiry.get(maker_id, expires_on)
            expiry[maker_id] = (
                None if known is None or expires_on is None else max(known, expires_on)
            )
            granted[maker_id] = max(row.granted_on, granted.get(maker_id, row.granted_on))
        makers = makers.where(col(Maker.id).in_(list(expiry)))
    last_use = _last_uses(session, machine) if machine.lapse_after_days else {}
    suspended = dict(
        session.exec(
            select(MakerSuspension.maker_id, sa.func.max(MakerSuspension.ends_at))
            .where(MakerSuspension.starts_at <= now, MakerSuspension.ends_at > now)
            .group_by(col(MakerSuspension.maker_id))
        ).all()
    )
    managers = set(
        session.exec(
            select(ManagerCredential.maker_id).where(
                (col(ManagerCredential.site_id).is_(None))
                | (ManagerCredential.site_id == machine.site_id)
            )
        ).all()
    )
    badges = []
    for who, badge_id, language in session.exec(makers).all():
        assert who is not None
        assert badge_id is not None
        lapses_on = None
        if machine.lapse_after_days and machine.needs_training:
            active = max(filter(None, (granted.get(who), last_use.get(who))))
            lapses_on = active + timedelta(days=machine.lapse_after_days + 1)
        badges.append(
            AllowedBadge(
                badge_hash=badge_digest(salt, badge_id),
                maker_id=who,
                language=language,
                expires_on=expiry.get(who),
                lapses_on=lapses_on,
                suspended_until=suspended.get(who),
                manager=who in managers,
            )
        )
    for maker_id in managers - {b.maker_id for b in badges}:
        badge_id = session.exec(select(Maker.badge_id).where(Maker.id == maker_id)).one()
        if badge_id:
            badges.append(
                AllowedBadge(
                    badge_hash=badge_digest(salt, badge_id), maker_id=maker_id, manager=True
                )
            )
    bookings = session.exec(
        select(Booking)
        .where(
            Booking.equipment_id == equipment_id,
            col(Booking.state).in_(LIVE_STATES),
            col(Booking.ends_at) > now,
            col(Booking.starts_at) < now + BOOKINGS_AHEAD,
        )
        .order_by(col(Booking.starts_at))
    ).all()
    return AllowList(
        equipment_tag=tag,
        generated_at=now,
        salt=salt,
        machine_status=machine.status.value,
        walk_ins=walk_in_minutes > 0,
        timezone=machine.timezone,
        badges=badges,
        bookings=[
            BookedSlot(
                maker_id=b.maker_id,
                booking_id=b.id or 0,
                starts_at=b.starts_at,
                ends_at=b.ends_at,
            )
            for b in bookings
        ],
    )


def _last_uses(session: Session, machine: Machine) -> dict[int, date]:
    """Each maker's last use of a machine of the machine's training category (local day)."""
    training = sa.func.coalesce(EquipmentCategory.id, Equipment.category_id)
    rows = session.exec(
        select(UsageSession.maker_id, sa.func.max(UsageSession.started_at))
        .join(Equipment, col(Equipment.id) == UsageSession.equipment_id)
        .outerjoin(
            EquipmentCategory, col(EquipmentCategory.code) == Equipment.training_category_code
        )
        .where(col(UsageSession.maker_id).is_not(None), training == machine.training_category_id)
        .group_by(col(UsageSession.maker_id))
    ).all()
    zone = ZoneInfo(machine.timezone)
    return {
        maker_id: instant(started).astimezone(zone).date()
        for maker_id, started in rows
        if maker_id is not None and started is not None
    }
