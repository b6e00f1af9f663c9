"""Booking services: book, cancel, check in, complete, extend, walk in, release no-shows.

Each takes a session and plain values (`now` included) and never commits: the caller owns the
transaction. **Book inside `fabdesk.db.write_session`**: on SQLite it holds the write lock from
the first read, so the overlap check and the insert cannot interleave with another writer; on
PostgreSQL the `no_overlap` exclusion constraint refuses the loser of a race, and the loser gets
the same `slot_taken` refusal as when the check sees the overlap.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from fabdesk.errors import InvalidValue, NotFound, RuleViolation, Violation
from fabdesk.models import (
    LIVE_STATES,
    Booking,
    BookingPolicy,
    BookingState,
    Certification,
    Equipment,
    EquipmentCategory,
    MaintenanceWindow,
    MakerSuspension,
    OpeningHours,
    Site,
    SiteClosure,
    WaitlistEntry,
    WaitlistState,
    id_of,
)
from fabdesk.settings import BookingDefaults, SchedulerSettings
from scheduling import rules
from scheduling.rules import Facts, Interval, OfferHold, Policy, Proposal

__all__ = [
    "Machine",
    "book",
    "bookings_of",
    "cancel",
    "cancel_bookings_for_outage",
    "check_in",
    "complete",
    "complete_finished",
    "current_booking",
    "extend",
    "find_machine",
    "get_booking",
    "load_machine",
    "policy_for",
    "release_no_shows",
    "walk_in",
]

log = logging.getLogger(__name__)

_DEFAULTS = SchedulerSettings()


class Machine:
    """What the rules need of one machine, read in one query."""

    __slots__ = ("category", "equipment", "site")

    def __init__(self, equipment: Equipment, category: EquipmentCategory, site: Site) -> None:
        self.equipment = equipment
        self.category = category
        self.site = site

    @property
    def id(self) -> int:
        return id_of(self.equipment)


def find_machine(session: Session, asset_tag: str) -> int:
    """The id of the machine with this asset tag (as printed on its label)."""
    found = session.exec(
        select(Equipment.id).where(Equipment.asset_tag == asset_tag.strip().upper())
    ).first()
    if found is None:
        raise NotFound(
            "No machine with asset tag {tag}.", tag=asset_tag, error_code="machine_not_found"
        )
    return found


def load_machine(session: Session, equipment_id: int) -> Machine:
    row = session.exec(
        select(Equipment, EquipmentCategory, Site)
        .join(EquipmentCategory, col(EquipmentCategory.id) == Equipment.category_id)
        .join(Site, col(Site.id) == Equipment.site_id)
        .where(Equipment.id == equipment_id)
    ).first()
    if row is None:
        raise NotFound("No machine with id {equipment_id}.", equipment_id=equipment_id)
    return Machine(*row)


def policy_for(
    session: Session, machine: Machine, settings: SchedulerSettings | None = None
) -> Policy:
    """The machine's policy row, else its category's, else the defaults of the settings."""
    rows = session.exec(
        select(BookingPolicy).where(
            sa.or_(
                col(BookingPolicy.equipment_id) == machine.id,
                col(BookingPolicy.category_id) == machine.equipment.category_id,
            )
        )
    ).all()
    chosen: BookingPolicy | None = None
    for row in rows:
        if row.equipment_id is not None or chosen is None:
            chosen = row
    return _policy((settings or _DEFAULTS).booking if chosen is None else chosen)


def _policy(source: BookingPolicy | BookingDefaults) -> Policy:
    return Policy(
        buffer=timedelta(minutes=source.buffer_minutes),
        min_length=timedelta(minutes=source.min_minutes),
        max_length=timedelta(minutes=source.max_minutes),
        max_days_ahead=source.max_days_ahead,
        check_in_before=timedelta(minutes=source.check_in_before_minutes),
        check_in_after=timedelta(minutes=source.check_in_after_minutes),
        cancel_cutoff=timedelta(minutes=source.cancel_cutoff_minutes),
        max_hours_per_week=source.max_hours_per_week,
        max_future_bookings=source.max_future_bookings,
    )


def _facts(
    session: Session,
    machine: Machine,
    policy: Policy,
    proposal: Proposal,
    *,
    exclude_booking_id: int | None = None,
) -> Facts:
    p = proposal
    tz = machine.site.timezone
    local_day = p.starts_at.astimezone(ZoneInfo(tz)).date()
    category_id = machine.equipment.category_id
    certified = not machine.category.needs_training or (
        session.exec(
            select(Certification.id).where(
                Certification.maker_id == p.maker_id,
                Certification.category_id == category_id,
                Certification.granted_on <= local_day,
                sa.or_(
                    col(Certification.expires_on).is_(None),
                    col(Certification.expires_on) >= local_day,
                ),
            )
        ).first()
        is not None
    )
    suspended_until = session.exec(
        select(sa.func.max(MakerSuspension.ends_at)).where(
            MakerSuspension.maker_id == p.maker_id,
            col(MakerSuspension.starts_at) <= p.now,
            col(MakerSuspension.ends_at) > p.now,
        )
    ).first()
    opening = [
        (h.weekday, h.opens, h.closes)
        for h in session.exec(
            select(OpeningHours).where(OpeningHours.site_id == machine.equipment.site_id)
        )
    ]
    closure = session.exec(
        select(SiteClosure.reason, SiteClosure.holiday).where(
            SiteClosure.site_id == machine.equipment.site_id,
            SiteClosure.first_day <= local_day,
            SiteClosure.last_day >= local_day,
        )
    ).first()
    closure_reason = None
    if closure is not None:
        closure_reason = closure[0] or ("public holiday" if closure[1] else "closed")
    maintenance = [
        Interval(s, e)
        for s, e in session.exec(
            select(MaintenanceWindow.starts_at, MaintenanceWindow.ends_at).where(
                MaintenanceWindow.equipment_id == machine.id,
                col(MaintenanceWindow.starts_at) < p.ends_at,
                col(MaintenanceWindow.ends_at) > p.starts_at,
            )
        )
    ]
    blocked_until = p.ends_at + policy.buffer
    taken_query = select(Booking.starts_at, Booking.blocked_until).where(
        Booking.equipment_id == machine.id,
        col(Booking.state).in_(LIVE_STATES),
        # Bounded below by the longest booking so the (equipment_id, starts_at) index serves it.
        col(Booking.starts_at) > p.starts_at - timedelta(days=2),
        col(Booking.starts_at) < blocked_until,
        col(Booking.blocked_until) > p.starts_at,
    )
    if exclude_booking_id is not None:
        taken_query = taken_query.where(Booking.id != exclude_booking_id)
    taken = [Interval(s, e) for s, e in session.exec(taken_query)]
    offers = [
        OfferHold(maker_id, Interval(s, e), until)
        for maker_id, s, e, until in session.exec(
            select(
                WaitlistEntry.maker_id,
                WaitlistEntry.starts_at,
                WaitlistEntry.ends_at,
                WaitlistEntry.offer_expires_at,
            ).where(
                WaitlistEntry.equipment_id == machine.id,
                WaitlistEntry.state == WaitlistState.OFFERED,
                col(WaitlistEntry.offer_expires_at) > p.now,
                col(WaitlistEntry.starts_at) < blocked_until,
                col(WaitlistEntry.ends_at) > p.starts_at,
            )
        )
        if until is not None
    ]
    week_start, week_end = rules.iso_week_bounds(local_day, tz)
    mine = (
        select(Booking.starts_at, Booking.ends_at)
        .join(Equipment, col(Equipment.id) == Booking.equipment_id)
        .where(
            Booking.maker_id == p.maker_id,
            Equipment.category_id == category_id,
            col(Booking.state).in_([*LIVE_STATES, BookingState.COMPLETED]),
        )
    )
    if exclude_booking_id is not None:
        mine = mine.where(Booking.id != exclude_booking_id)
    in_week = session.exec(
        mine.where(col(Booking.starts_at) >= week_start, col(Booking.starts_at) < week_end)
    ).all()
    booked_in_week = sum((e - s for s, e in in_week), timedelta(0))
    future = session.exec(
        select(sa.func.count())
        .select_from(Booking)
        .join(Equipment, col(Equipment.id) == Booking.equipment_id)
        .where(
            Booking.maker_id == p.maker_id,
            Equipment.category_id == category_id,
            col(Booking.state).in_(LIVE_STATES),
            col(Booking.ends_at) > p.now,
        )
    ).one()
    return Facts(
        machine_name=machine.equipment.name,
        bookable=machine.equipment.bookable,
        status=machine.equipment.status,
        category_name=machine.category.name_en,
        site_name=machine.site.name,
        timezone=tz,
        policy=policy,
        certified=certified,
        suspended_until=suspended_until,
        opening=opening,
        closure=closure_reason,
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
    for instant in instants:
        if instant.tzinfo is None:
            raise InvalidValue("Times must carry a timezone: {value}.", value=instant.isoformat())


def book(
    session: Session,
    *,
    maker_id: int,
    equipment_id: int,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    settings: SchedulerSettings | None = None,
    walk_in: bool = False,
) -> Booking:
    """Book a machine for [starts_at, ends_at), or raise RuleViolation listing every broken rule.

    Call inside `write_session` (see the module docstring).
    """
    _check_aware(starts_at, ends_at, now)
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    _require_serialised(session)
    machine = load_machine(session, equipment_id)
    policy = policy_for(session, machine, settings)
    proposal = Proposal(maker_id, equipment_id, starts_at, ends_at, now)
    violations = rules.check(proposal, _facts(session, machine, policy, proposal))
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
    )
    _insert(session, booking, machine)
    log.info(
        "booking_created",
        extra={"booking_id": booking.id, "machine": equipment_id, "maker_id": maker_id},
    )
    return booking


def _insert(session: Session, booking: Booking, machine: Machine) -> None:
    """Insert (or flush a change to) a live booking; the database's refusal becomes slot_taken."""
    if session.connection().dialect.name != "postgresql":
        session.add(booking)
        session.flush()
        return
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != "23P01":  # exclusion_violation
            raise
        taken = session.exec(
            select(Booking.starts_at, Booking.blocked_until).where(
                Booking.equipment_id == booking.equipment_id,
                col(Booking.state).in_(LIVE_STATES),
                col(Booking.starts_at) < booking.blocked_until,
                col(Booking.blocked_until) > booking.starts_at,
            )
        ).first()
        interval = Interval(*taken) if taken else Interval(booking.starts_at, booking.ends_at)
        raise RuleViolation(
            [rules.slot_taken(machine.equipment.name, interval, machine.site.timezone)]
        ) from None


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
    settings: SchedulerSettings | None = None,
) -> Booking:
    """Check in a booking, from `check_in_before` before its start to `check_in_after` after."""
    booking = get_booking(session, booking_id, for_update=True)
    _owned(booking, maker_id)
    if booking.state is not BookingState.BOOKED:
        raise _wrong_state(booking, "checked in")
    machine = load_machine(session, booking.equipment_id)
    policy = policy_for(session, machine, settings)
    opens = booking.starts_at - policy.check_in_before
    closes = booking.starts_at + policy.check_in_after
    tz = machine.site.timezone
    if now < opens:
        raise RuleViolation(
            [
                Violation(
                    "check_in_too_early",
                    "Check-in for {machine} opens at {opens}.",
                    {"machine": machine.equipment.name, "opens": rules.local_iso(opens, tz)},
                )
            ]
        )
    if now > closes:
        raise RuleViolation(
            [
                Violation(
                    "check_in_too_late",
                    "Check-in for {machine} closed at {closes}.",
                    {"machine": machine.equipment.name, "closes": rules.local_iso(closes, tz)},
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
    settings: SchedulerSettings | None = None,
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
    machine = load_machine(session, booking.equipment_id)
    policy = policy_for(session, machine, settings)
    booking.state = BookingState.CANCELLED
    booking.closed_at = now
    booking.reason = reason[:240]
    booking.late_cancel = maker_id is not None and now > booking.starts_at - policy.cancel_cutoff
    session.add(booking)
    session.flush()
    if booking.late_cancel:
        _strike(session, booking.maker_id, now, settings)
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
    session.flush()
    return list(finished)


def extend(
    session: Session,
    *,
    booking_id: int,
    ends_at: datetime,
    now: datetime,
    maker_id: int | None = None,
    settings: SchedulerSettings | None = None,
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
    machine = load_machine(session, booking.equipment_id)
    policy = policy_for(session, machine, settings)
    proposal = Proposal(
        booking.maker_id, booking.equipment_id, booking.starts_at, ends_at, now, extension=True
    )
    facts = _facts(session, machine, policy, proposal, exclude_booking_id=booking.id)
    violations = rules.check(proposal, facts)
    if violations:
        raise RuleViolation(violations)
    booking.ends_at = ends_at
    booking.blocked_until = ends_at + policy.buffer
    _insert(session, booking, machine)
    return booking


def walk_in(
    session: Session,
    *,
    maker_id: int,
    equipment_id: int,
    length: timedelta,
    now: datetime,
    settings: SchedulerSettings | None = None,
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
    )


def release_no_shows(
    session: Session, now: datetime, settings: SchedulerSettings | None = None
) -> list[Booking]:
    """Release every booking nobody checked in by the end of its grace period (idempotent)."""
    from scheduling import waitlist

    candidates = session.exec(
        select(Booking)
        .where(Booking.state == BookingState.BOOKED, col(Booking.starts_at) < now)
        .with_for_update(skip_locked=True)
    ).all()
    released: list[Booking] = []
    policies: dict[int, Policy] = {}
    for booking in candidates:
        if booking.equipment_id not in policies:
            policies[booking.equipment_id] = policy_for(
                session, load_machine(session, booking.equipment_id), settings
            )
        if now <= booking.starts_at + policies[booking.equipment_id].check_in_after:
            continue
        booking.state = BookingState.NO_SHOW
        booking.closed_at = now
        session.add(booking)
        released.append(booking)
    session.flush()
    for booking in released:
        log.info("booking_no_show", extra={"booking_id": booking.id, "maker_id": booking.maker_id})
        _strike(session, booking.maker_id, now, settings)
        if booking.ends_at > now:
            waitlist.offer_freed(session, booking.equipment_id, now, booking.ends_at, now, settings)
    return released


def _strike(
    session: Session, maker_id: int, now: datetime, settings: SchedulerSettings | None
) -> MakerSuspension | None:
    """After a no-show or a late cancel: suspend the maker when the strikes reach the limit."""
    policy = (settings or _DEFAULTS).suspension
    since = now - timedelta(days=policy.window_days)
    active = session.exec(
        select(MakerSuspension.id).where(
            MakerSuspension.maker_id == maker_id, col(MakerSuspension.ends_at) > now
        )
    ).first()
    if active is not None:
        return None
    last_end = session.exec(
        select(sa.func.max(MakerSuspension.starts_at)).where(MakerSuspension.maker_id == maker_id)
    ).one()
    if last_end is not None and last_end > since:
        since = last_end  # strikes before the last suspension are spent
    strikes = session.exec(
        select(sa.func.count())
        .select_from(Booking)
        .where(
            Booking.maker_id == maker_id,
            col(Booking.closed_at) > since,
            sa.or_(col(Booking.state) == BookingState.NO_SHOW, col(Booking.late_cancel)),
        )
    ).one()
    if strikes < policy.strikes:
        return None
    suspension = MakerSuspension(
        maker_id=maker_id,
        starts_at=now,
        ends_at=now + timedelta(days=policy.suspension_days),
        reason=f"{strikes} no-shows or late cancellations in {policy.window_days} days",
    )
    session.add(suspension)
    session.flush()
    log.info("maker_suspended", extra={"maker_id": maker_id})
    return suspension


def cancel_bookings_for_outage(
    session: Session,
    equipment_id: int,
    reason: str,
    now: datetime,
    settings: SchedulerSettings | None = None,
) -> list[Booking]:
    """Cancel every booking of a machine put out of order that has not ended (no strike for the
    makers), and tell them through the outbox."""
    from scheduling import notifier

    affected = session.exec(
        select(Booking)
        .where(
            Booking.equipment_id == equipment_id,
            col(Booking.state).in_(LIVE_STATES),
            col(Booking.ends_at) > now,
        )
        .with_for_update()
    ).all()
    machine = load_machine(session, equipment_id)
    for booking in affected:
        booking.state = BookingState.CANCELLED
        booking.closed_at = now
        booking.reason = reason[:240]
        session.add(booking)
    session.flush()
    for booking in affected:
        notifier.enqueue_booking_message(
            session,
            booking,
            machine_name=machine.equipment.name,
            timezone=machine.site.timezone,
            kind="booking_cancelled_outage",
            now=now,
            extra=reason,
        )
    return list(affected)


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
