"""Booking services: book, cancel, check in, complete, extend, walk in, hand over.

Each takes a session and plain values (`now` included) and never commits: the caller owns the
transaction. **Book inside `fabdesk.db.write_session`**: on SQLite it holds the write lock from
the first read, so the overlap check and the insert cannot interleave with another writer; on
PostgreSQL the `no_overlap` exclusion constraint refuses the loser of a race, and the loser gets
the same `slot_taken` refusal as when the check sees the overlap.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from fabdesk.errors import InvalidValue, NotFound, RuleViolation, Violation
from fabdesk.models import (
    LIVE_STATES,
    Booking,
    BookingState,
    EquipmentStatus,
    Organisation,
    OrganisationMember,
)
from fabdesk.settings import SchedulerSettings
from inventory.checks import mark_used
from scheduling import rules
from scheduling._sql import fetch, instant, param
from scheduling.machines import Machine, load_machine, policy_for
from scheduling.releases import strike
from scheduling.rules import Facts, Interval, OfferHold, Proposal

__all__ = [
    "book",
    "bookings_of",
    "cancel",
    "check_in",
    "complete",
    "complete_finished",
    "current_booking",
    "extend",
    "get_booking",
    "hand_over",
    "walk_in",
]

log = logging.getLogger(__name__)

_LONGEST = timedelta(days=2)
"""No booking lasts longer: bounds range scans so the (equipment_id, starts_at) index serves."""


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


def _facts(
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
        low=param(session, p.starts_at - _LONGEST),
        start=param(session, p.starts_at),
        end=param(session, p.ends_at),
        blocked=param(session, blocked_until),
        now=param(session, p.now),
        recent=param(session, p.now - _LONGEST),
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


def _require_serialised(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.get_execution_options().get(
        "fabdesk_write"
    ):
        raise RuntimeError(
            "book inside fabdesk.db.write_session on SQLite: a plain transaction could let two "
            "writers check the same slot at once"
        )


def _check_aware(*instants: datetime) -> None:
    for value in instants:
        if value.tzinfo is None:
            raise InvalidValue("Times must carry a timezone: {value}.", value=value.isoformat())


def book(
    session: Session,
    *,
    maker_id: int,
    equipment_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    settings: SchedulerSettings,
    walk_in: bool = False,
    on_behalf_of: int | None = None,
) -> Booking:
    """Book a machine for [starts_at, ends_at), or raise RuleViolation listing every broken rule.

    `on_behalf_of`: the id of a paying organisation the maker is linked to; its usage is then
    billed to the organisation (refused with `not_linked_to_organisation` otherwise).
    Call inside `write_session` (see the module docstring).
    """
    _check_aware(starts_at, ends_at, now)
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    _require_serialised(session)
    machine = load_machine(session, equipment_id, settings)
    policy = machine.policy
    proposal = Proposal(maker_id, equipment_id, starts_at, ends_at, now)
    violations = rules.check(proposal, _facts(session, machine, proposal))
    if on_behalf_of is not None:
        violations += _organisation_rules(session, maker_id, on_behalf_of)
    if violations:
        raise RuleViolation(violations)
    booking = Booking(
        maker_id=maker_id,
        equipment_id=equipment_id,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_until=ends_at + policy.buffer,
        created_at=now,
        state=BookingState.CHECKED_IN if walk_in else BookingState.BOOKED,
        checked_in_at=now if walk_in else None,
        walk_in=walk_in,
        organisation_id=on_behalf_of,
    )
    _insert(session, booking, machine)
    log.info(
        "booking_created",
        extra={"booking_id": booking.id, "machine": equipment_id, "maker_id": maker_id},
    )
    return booking


_INSERTED = (
    "maker_id", "equipment_id", "starts_at", "ends_at", "blocked_until", "state", "created_at",
    "checked_in_at", "closed_at", "late_cancel", "walk_in", "reason", "handover_of",
    "organisation_id",
)  # fmt: skip


@cache
def _insert_statement(dialect: str) -> Any:
    """A new booking's INSERT, built once per dialect (building it is most of a booking's cost)."""
    table = Booking.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(
        {name: sa.bindparam(name, type_=table.c[name].type) for name in _INSERTED}
    )
    if dialect == "postgresql":
        statement = statement.on_conflict_do_nothing()
    return statement.returning(table.c.id)


def _organisation_rules(session: Session, maker_id: int, organisation_id: int) -> list[Violation]:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(
            "There is no organisation {id}.",
            id=organisation_id,
            error_code="organisation_not_found",
        )
    if session.get(OrganisationMember, (organisation_id, maker_id)) is not None:
        return []
    return [
        Violation(
            "not_linked_to_organisation",
            "You may not book on behalf of {organisation}.",
            {"organisation": organisation.name},
        )
    ]


def _insert(session: Session, booking: Booking, machine: Machine) -> None:
    """Store a new live booking in one statement; on PostgreSQL `ON CONFLICT DO NOTHING` lets
    the `no_overlap` exclusion constraint refuse the loser of a race without aborting the
    transaction (it waits for the winner to commit, then inserts nothing): slot_taken."""
    connection = session.connection()
    new_id = connection.execute(
        _insert_statement(connection.dialect.name),
        {name: getattr(booking, name) for name in _INSERTED},
    ).scalar()
    if new_id is None:
        _refuse_taken(session, booking, machine)
    booking.id = new_id
    make_transient_to_detached(booking)
    session.add(booking)


def _refuse_taken(
    session: Session,
    booking: Booking,
    machine: Machine,
    wanted: tuple[datetime, datetime] | None = None,
) -> NoReturn:
    """slot_taken naming the live booking in the way of `booking` (or of `wanted`, the interval
    it was to hold: its start and the end of its buffer)."""
    starts_at, blocked_until = wanted or (booking.starts_at, booking.blocked_until)
    query = select(Booking.starts_at, Booking.blocked_until).where(
        Booking.equipment_id == booking.equipment_id,
        col(Booking.state).in_(LIVE_STATES),
        col(Booking.starts_at) < blocked_until,
        col(Booking.blocked_until) > starts_at,
    )
    if booking.id is not None:
        query = query.where(Booking.id != booking.id)
    taken = session.exec(query).first()
    interval = Interval(*taken) if taken else Interval(starts_at, blocked_until)
    raise RuleViolation([rules.slot_taken(machine.name, interval, machine.timezone)])


def _update_live(
    session: Session,
    booking: Booking,
    machine: Machine,
    *,
    ends_at: datetime,
    blocked_until: datetime,
) -> None:
    """Move a live booking's end; the database's refusal becomes slot_taken.

    On PostgreSQL the change is made inside the savepoint: made before it, the autoflush that
    opens the savepoint would meet the exclusion constraint outside it and leave the whole
    transaction to roll back (PendingRollbackError instead of slot_taken)."""
    if session.connection().dialect.name != "postgresql":
        booking.ends_at, booking.blocked_until = ends_at, blocked_until
        session.add(booking)
        session.flush()
        return
    try:
        with session.begin_nested():
            booking.ends_at, booking.blocked_until = ends_at, blocked_until
            session.add(booking)
            session.flush()
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != "23P01":  # exclusion_violation
            raise
        session.refresh(booking)
        _refuse_taken(session, booking, machine, (booking.starts_at, blocked_until))


def get_booking(session: Session, booking_id: int, *, for_update: bool = False) -> Booking:
    query = select(Booking).where(Booking.id == booking_id)
    if for_update:
        query = query.with_for_update()
    booking = session.exec(query).first()
    if booking is None:
        raise NotFound("No booking with number {booking_id}.", booking_id=booking_id)
    return booking


def _owned(booking: Booking, maker_id: int | None) -> None:
    if maker_id is not None and booking.maker_id != maker_id:
        raise RuleViolation(
            [
                Violation(
                    "not_your_booking",
                    "Booking {booking_id} is not yours.",
                    {"booking_id": booking.id},
                )
            ]
        )


def _wrong_state(booking: Booking, action: str) -> RuleViolation:
    return RuleViolation(
        [
            Violation(
                "wrong_state",
                "Booking {booking_id} is {state}: it cannot be {action}.",
                {"booking_id": booking.id, "state": booking.state.value, "action": action},
            )
        ]
    )


def check_in(
    session: Session,
    *,
    booking_id: int,
    now: datetime,
    maker_id: int | None = None,
    settings: SchedulerSettings,
) -> Booking:
    """Check in a booking, from `check_in_before` before its start to `check_in_after` after."""
    booking = get_booking(session, booking_id, for_update=True)
    _owned(booking, maker_id)
    if booking.state is not BookingState.BOOKED:
        raise _wrong_state(booking, "checked in")
    machine = load_machine(session, booking.equipment_id, settings)
    if machine.status is EquipmentStatus.TO_CHECK:
        raise RuleViolation([rules.to_check(machine.name)])
    policy = machine.policy
    opens = booking.starts_at - policy.check_in_before
    closes = booking.starts_at + policy.check_in_after
    tz = machine.timezone
    if now < opens:
        raise RuleViolation(
            [
                Violation(
                    "check_in_too_early",
                    "Check-in for {machine} opens at {opens}.",
                    {"machine": machine.name, "opens": rules.local_iso(opens, tz)},
                )
            ]
        )
    if now > closes:
        raise RuleViolation(
            [
                Violation(
                    "check_in_too_late",
                    "Check-in for {machine} closed at {closes}.",
                    {"machine": machine.name, "closes": rules.local_iso(closes, tz)},
                )
            ]
        )
    booking.state = BookingState.CHECKED_IN
    booking.checked_in_at = now
    session.add(booking)
    session.flush()
    return booking


def cancel(
    session: Session,
    *,
    booking_id: int,
    now: datetime,
    maker_id: int | None = None,
    reason: str = "",
    settings: SchedulerSettings,
) -> Booking:
    """Cancel a booking that has not started; after the cut-off it counts as a late cancel.

    The freed slot is offered to the waitlist.
    """
    from scheduling import waitlist

    booking = get_booking(session, booking_id, for_update=True)
    _owned(booking, maker_id)
    if booking.state is not BookingState.BOOKED:
        raise _wrong_state(booking, "cancelled")
    if booking.starts_at <= now and maker_id is not None:
        raise RuleViolation(
            [
                Violation(
                    "already_started",
                    "Booking {booking_id} has already started: it cannot be cancelled.",
                    {"booking_id": booking.id},
                )
            ]
        )
    policy = policy_for(session, booking.equipment_id, settings)
    booking.state = BookingState.CANCELLED
    booking.closed_at = now
    booking.reason = reason[:240]
    booking.late_cancel = maker_id is not None and now > booking.starts_at - policy.cancel_cutoff
    session.add(booking)
    session.flush()
    if booking.late_cancel:
        strike(session, booking.maker_id, now, settings)
    waitlist.offer_freed(
        session, booking.equipment_id, max(booking.starts_at, now), booking.ends_at, now, settings
    )
    return booking


def complete(session: Session, *, booking_id: int, now: datetime) -> Booking:
    """Finish a checked-in booking; finishing early frees the rest of the slot."""
    booking = get_booking(session, booking_id, for_update=True)
    if booking.state is not BookingState.CHECKED_IN:
        raise _wrong_state(booking, "completed")
    if now < booking.ends_at:
        buffer = booking.blocked_until - booking.ends_at
        booking.ends_at = max(now, booking.starts_at + timedelta(minutes=1))
        booking.blocked_until = booking.ends_at + buffer
    booking.state = BookingState.COMPLETED
    booking.closed_at = now
    session.add(booking)
    session.flush()
    mark_used(session, [booking.equipment_id], cause=f"booking {booking.id} completed", now=now)
    return booking


def complete_finished(session: Session, now: datetime) -> list[Booking]:
    """Mark checked-in bookings whose time is over as completed (a scheduler job)."""
    finished = session.exec(
        select(Booking).where(Booking.state == BookingState.CHECKED_IN, col(Booking.ends_at) <= now)
    ).all()
    for booking in finished:
        booking.state = BookingState.COMPLETED
        booking.closed_at = now
        session.add(booking)
        mark_used(session, [booking.equipment_id], cause=f"booking {booking.id} completed", now=now)
    session.flush()
    return list(finished)


def extend(
    session: Session,
    *,
    booking_id: int,
    ends_at: datetime,
    now: datetime,
    maker_id: int | None = None,
    settings: SchedulerSettings,
) -> Booking:
    """Move the end of a live booking later, when the machine is free until then."""
    _check_aware(ends_at, now)
    ends_at = ends_at.astimezone(UTC)
    _require_serialised(session)
    booking = get_booking(session, booking_id, for_update=True)
    _owned(booking, maker_id)
    if booking.state not in LIVE_STATES or booking.ends_at <= now:
        raise _wrong_state(booking, "extended")
    if ends_at <= booking.ends_at:
        raise InvalidValue(
            "The new end must be later than the current end ({current}).",
            current=booking.ends_at.isoformat(),
        )
    machine = load_machine(session, booking.equipment_id, settings)
    policy = machine.policy
    proposal = Proposal(
        booking.maker_id, booking.equipment_id, booking.starts_at, ends_at, now, extension=True
    )
    facts = _facts(session, machine, proposal, exclude_booking_id=booking.id)
    violations = rules.check(proposal, facts)
    if violations:
        raise RuleViolation(violations)
    _update_live(session, booking, machine, ends_at=ends_at, blocked_until=ends_at + policy.buffer)
    return booking


def walk_in(
    session: Session,
    *,
    maker_id: int,
    equipment_id: int,
    length: timedelta,
    now: datetime,
    settings: SchedulerSettings,
    on_behalf_of: int | None = None,
) -> Booking:
    """Book from now (to the minute) and check in at once, when the machine is free."""
    _check_aware(now)
    starts_at = now.replace(second=0, microsecond=0)
    return book(
        session,
        maker_id=maker_id,
        equipment_id=equipment_id,
        starts_at=starts_at,
        ends_at=starts_at + length,
        now=now,
        settings=settings,
        walk_in=True,
        on_behalf_of=on_behalf_of,
    )


def _refusal(code: str, template: str, **params: Any) -> RuleViolation:
    return RuleViolation([Violation(code, template, params)])


def hand_over(
    session: Session,
    *,
    booking_id: int,
    from_maker_id: int,
    to_maker_id: int,
    now: datetime,
    settings: SchedulerSettings,
) -> Booking:
    """Give the rest of a running, checked-in booking to another maker certified for the machine;
    returns the receiver's booking.

    The booking is split at `now`: its first part ends then and is completed (the giver's), the
    rest becomes a new booking, checked in for the receiver, whose `handover_of` names the first.
    A usage session belongs to the booking it runs in (`fabdesk.usage.attribution`) and is charged
    to that booking's maker: a job already running at the hand-over stays the giver's, every job
    started after it is the receiver's; no session is split or charged twice. Call inside
    `write_session` (the receiver's part is a new live booking).
    """
    _check_aware(now)
    _require_serialised(session)
    booking = get_booking(session, booking_id, for_update=True)
    _owned(booking, from_maker_id)
    machine = load_machine(session, booking.equipment_id, settings)
    if booking.state is not BookingState.CHECKED_IN or not (
        booking.starts_at < now < booking.ends_at
    ):
        raise _refusal(
            "handover_not_running",
            "Booking {booking_id} is not running: only a checked-in booking can be handed over "
            "before its end.",
            booking_id=booking.id,
        )
    if to_maker_id == booking.maker_id:
        raise _refusal("handover_to_self", "A booking cannot be handed over to its own maker.")
    if machine.status is EquipmentStatus.TO_CHECK:
        raise RuleViolation([rules.to_check(machine.name)])
    proposal = Proposal(to_maker_id, machine.id, now, booking.ends_at, now)
    facts = _facts(session, machine, proposal, exclude_booking_id=booking.id)
    if not facts.certified or facts.lapsed_since is not None:
        raise _refusal(
            "receiver_not_certified",
            "The maker taking over needs a valid {category} certification to use {machine}.",
            category=machine.training_name,
            machine=machine.name,
        )
    if facts.suspended_until is not None:
        raise _refusal(
            "receiver_suspended",
            "The maker taking over may not use machines until {until}.",
            until=rules.local_iso(facts.suspended_until, machine.timezone),
        )
    ends_at, blocked_until = booking.ends_at, booking.blocked_until
    booking.ends_at = booking.blocked_until = now
    booking.state = BookingState.COMPLETED
    booking.closed_at = now
    session.add(booking)
    session.flush()
    taken = Booking(
        maker_id=to_maker_id,
        equipment_id=machine.id,
        starts_at=now,
        ends_at=ends_at,
        blocked_until=blocked_until,
        created_at=now,
        state=BookingState.CHECKED_IN,
        checked_in_at=now,
        handover_of=booking.id,
    )
    _insert(session, taken, machine)
    log.info(
        "booking_handed_over",
        extra={"booking_id": booking.id, "new_booking_id": taken.id, "maker_id": to_maker_id},
    )
    return taken


def current_booking(session: Session, equipment_id: int, now: datetime) -> Booking | None:
    """The live booking of a machine at `now`, if any (drivers ask who is using it)."""
    return session.exec(
        select(Booking)
        .where(
            Booking.equipment_id == equipment_id,
            col(Booking.state).in_(LIVE_STATES),
            col(Booking.starts_at) <= now,
            col(Booking.starts_at) > now - timedelta(days=2),
            col(Booking.ends_at) > now,
        )
        .order_by(col(Booking.starts_at))
    ).first()


def bookings_of(
    session: Session,
    maker_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    states: Sequence[BookingState] | None = None,
) -> list[Booking]:
    """A maker's bookings, oldest first, optionally within [since, until) and in some states."""
    query = select(Booking).where(Booking.maker_id == maker_id)
    if since is not None:
        query = query.where(col(Booking.ends_at) > since)
    if until is not None:
        query = query.where(col(Booking.starts_at) < until)
    if states is not None:
        query = query.where(col(Booking.state).in_(list(states)))
    return list(session.exec(query.order_by(col(Booking.starts_at), col(Booking.id))).all())
