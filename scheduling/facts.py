"""The facts the booking rules judge a proposed booking on (`scheduling.rules.Facts`), gathered in
one query: the machine's taken slots, maintenance, offers, opening hours and closures, and the
maker's certification, recent use, suspension and bookings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from scheduling import rules
from scheduling._sql import fetch, instant, param
from scheduling.lookups import LONGEST_BOOKING
from scheduling.machines import Machine
from scheduling.rules import Facts, Interval, OfferHold, Proposal

__all__ = ["gather_facts"]


_T = "CAST(NULL AS TIMESTAMP)"
_S = "CAST(NULL AS VARCHAR(240))"
_FACTS_SQL = f"""
SELECT 't', starts_at, blocked_until, 0, {_T}, {_S}, {_S} FROM bookings
    WHERE equipment_id = :equipment AND state IN ('booked', 'checked_in')
    AND starts_at > :low AND starts_at < :blocked AND blocked_until > :start AND id <> :exclude
UNION ALL
SELECT 'm', starts_at, ends_at, 0, {_T}, {_S}, {_S} FROM maintenance_windows
    WHERE equipment_id = :equipment AND starts_at < :end AND ends_at > :start
UNION ALL
SELECT 'o', starts_at, ends_at, maker_id, offer_expires_at, {_S}, {_S} FROM waitlist_entries
    WHERE equipment_id = :equipment AND state = 'offered' AND offer_expires_at > :now
    AND starts_at < :blocked AND ends_at > :start
UNION ALL
SELECT 'w', b.starts_at, b.ends_at, 0, {_T}, {_S}, {_S} FROM bookings b
    JOIN equipment e ON e.id = b.equipment_id
    WHERE b.maker_id = :maker AND e.category_id = :category
    AND b.state IN ('booked', 'checked_in', 'completed')
    AND b.starts_at >= :week_start AND b.starts_at < :week_end AND b.id <> :exclude
UNION ALL
SELECT 'h', {_T}, {_T}, weekday, {_T}, CAST(opens AS VARCHAR(240)), CAST(closes AS VARCHAR(240))
    FROM opening_hours WHERE site_id = :site AND weekday = :weekday
UNION ALL
SELECT 'c', {_T}, {_T}, count(*), {_T}, CAST(max(granted_on) AS VARCHAR(240)), {_S}
    FROM certifications
    WHERE maker_id = :maker AND category_id = :training AND granted_on <= :day
    AND (expires_on IS NULL OR expires_on >= :day)
UNION ALL
SELECT 'u', {_T}, {_T}, 0, max(u.started_at), {_S}, {_S} FROM usage_sessions u
    JOIN equipment e ON e.id = u.equipment_id
    LEFT JOIN equipment_categories tc ON tc.code = e.training_category_code
    WHERE :lapse > 0 AND u.maker_id = :maker AND COALESCE(tc.id, e.category_id) = :training
UNION ALL
SELECT 's', {_T}, {_T}, 0, max(ends_at), {_S}, {_S} FROM maker_suspensions
    WHERE maker_id = :maker AND starts_at <= :now AND ends_at > :now
UNION ALL
SELECT 'x', {_T}, {_T}, CASE WHEN holiday THEN 1 ELSE 0 END, {_T},
    CASE WHEN reason <> '' THEN reason WHEN holiday THEN 'public holiday' ELSE 'closed' END, {_S}
    FROM site_closures WHERE site_id = :site AND first_day <= :day AND last_day >= :day
UNION ALL
SELECT 'f', {_T}, {_T}, count(*), {_T}, {_S}, {_S} FROM bookings b
    JOIN equipment e ON e.id = b.equipment_id
    WHERE b.maker_id = :maker AND e.category_id = :category
    AND b.state IN ('booked', 'checked_in') AND b.starts_at > :recent AND b.ends_at > :now
    AND b.id <> :exclude
"""


def _day(session: Session, value: date) -> Any:
    return value.isoformat() if session.get_bind().dialect.name == "sqlite" else value


def _clock(value: Any) -> time:
    return time.fromisoformat(value) if isinstance(value, str) else value


def gather_facts(
    session: Session,
    machine: Machine,
    proposal: Proposal,
    *,
    exclude_booking_id: int | None = None,
) -> Facts:
    """Everything the rules need, in one query (one round trip)."""
    p = proposal
    policy = machine.policy
    tz = machine.timezone
    local_day = p.starts_at.astimezone(ZoneInfo(tz)).date()
    exclude = -1 if exclude_booking_id is None else exclude_booking_id
    week_start, week_end = rules.iso_week_bounds(local_day, tz)
    blocked_until = p.ends_at + policy.buffer
    taken: list[Interval] = []
    maintenance: list[Interval] = []
    offers: list[OfferHold] = []
    opening: list[tuple[int, time, time]] = []
    booked_in_week = timedelta(0)
    certified_count = future = 0
    granted_on: date | None = None
    last_use: date | None = None
    suspended_until: datetime | None = None
    closure: str | None = None
    holiday = False
    for kind, starts, ends, number, other, text, text2 in fetch(
        session,
        _FACTS_SQL,
        equipment=machine.id,
        low=param(session, p.starts_at - LONGEST_BOOKING),
        start=param(session, p.starts_at),
        end=param(session, p.ends_at),
        blocked=param(session, blocked_until),
        now=param(session, p.now),
        recent=param(session, p.now - LONGEST_BOOKING),
        maker=p.maker_id,
        category=machine.category_id,
        training=machine.training_category_id,
        lapse=machine.lapse_after_days or 0,
        site=machine.site_id,
        weekday=local_day.weekday(),
        day=_day(session, local_day),
        week_start=param(session, week_start),
        week_end=param(session, week_end),
        exclude=exclude,
    ):
        if kind == "t":
            taken.append(Interval(instant(starts), instant(ends)))
        elif kind == "m":
            maintenance.append(Interval(instant(starts), instant(ends)))
        elif kind == "o":
            offers.append(
                OfferHold(number, Interval(instant(starts), instant(ends)), instant(other))
            )
        elif kind == "w":
            booked_in_week += instant(ends) - instant(starts)
        elif kind == "h":
            opening.append((number, _clock(text), _clock(text2)))
        elif kind == "c":
            certified_count = number
            granted_on = date.fromisoformat(text) if text else None
        elif kind == "u" and other is not None:
            last_use = instant(other).astimezone(ZoneInfo(tz)).date()
        elif kind == "s" and other is not None:
            suspended_until = instant(other)
        elif kind == "x":
            closure = text
            holiday = bool(number)
        elif kind == "f":
            future = number
    lapse = machine.lapse_after_days if machine.needs_training else None
    last_active = max(filter(None, (granted_on, last_use)), default=None)
    lapsed = (
        lapse is not None
        and last_active is not None
        and last_active + timedelta(days=lapse) < local_day
    )
    return Facts(
        machine_name=machine.name,
        bookable=machine.bookable,
        status=machine.status,
        category_name=machine.category_name,
        training_name=machine.training_name,
        site_name=machine.site_name,
        timezone=tz,
        policy=policy,
        certified=not machine.needs_training or certified_count > 0,
        suspended_until=suspended_until,
        lapsed_since=last_active if lapsed else None,
        lapse_days=lapse or 0,
        opening=opening,
        closure=closure,
        holiday=holiday,
        maintenance=maintenance,
        taken=taken,
        offers=offers,
        booked_in_week=booked_in_week,
        future_bookings=int(future),
    )
