"""Booking services that make or change a booking's slot: book, walk in, extend, hand over.

Each takes a session and plain values (`now` included) and never commits: the caller owns the
transaction. **Book inside `fabdesk.db.write_session`**: on SQLite it holds the write lock from
the first read, so the overlap check and the insert cannot interleave with another writer; on
PostgreSQL the `no_overlap` exclusion constraint refuses the loser of a race, and the loser gets
the same `slot_taken` refusal as when the check sees the overlap.

A booking once made is checked in, cancelled and completed by `scheduling.attendance`, and looked
up by `scheduling.lookups`; `cancel`, `check_in` and `bookings_of`, which many callers import
from here, are re-exported.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, NoReturn

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
from scheduling import rules
from scheduling.attendance import cancel, check_in
from scheduling.facts import gather_facts
from scheduling.lookups import bookings_of, check_owner, get_booking, wrong_state
from scheduling.machines import Machine, load_machine
from scheduling.rules import Interval, Proposal

__all__ = [
    "book",
    "bookings_of",
    "cancel",
    "check_in",
    "extend",
    "hand_over",
    "walk_in",
]

log = logging.getLogger(__name__)


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
    violations = rules.check(proposal, gather_facts(session, machine, proposal))
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
    check_owner(booking, maker_id)
    if booking.state not in LIVE_STATES or booking.ends_at <= now:
        raise wrong_state(booking, "extended")
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
    facts = gather_facts(session, machine, proposal, exclude_booking_id=booking.id)
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
    check_owner(booking, from_maker_id)
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
    facts = gather_facts(session, machine, proposal, exclude_booking_id=booking.id)
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
