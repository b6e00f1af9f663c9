"""Charge disputes: a maker disputes one of their usage charges; a manager accepts it (the charge
is reversed in the ledger) or refuses it with a reason. Deciding twice the same way changes
nothing; deciding the other way is refused.

Refusal codes: `charge_not_found`, `dispute_not_found`, `not_your_charge`, `reason_required`,
`dispute_open` (one open dispute per charge), `charge_reversed`, `dispute_decided`; a manager
decides only the disputes of their site (`outside_scope`) and never their own (`own_case`).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from fabdesk.accounting.charges import reverse_charge
from fabdesk.actors import Actor, check_not_own, check_site, record_action
from fabdesk.errors import Conflict, InvalidValue, NotFound, RuleViolation, Violation
from fabdesk.models import (
    ChargeDispute,
    DisputeState,
    Equipment,
    LedgerTransaction,
    Site,
    UsageCharge,
)

__all__ = [
    "accept_dispute",
    "disputable_charges",
    "get_dispute",
    "list_disputes",
    "open_dispute",
    "refuse_dispute",
]

log = logging.getLogger(__name__)


def _reason(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidValue("Say why, in a few words.", error_code="reason_required")
    return cleaned[:500]


def _reversal_of(session: Session, transaction_id: int) -> int | None:
    return session.exec(
        select(LedgerTransaction.id).where(LedgerTransaction.reverses_id == transaction_id)
    ).first()


def _check_reversible(session: Session, charge: UsageCharge) -> None:
    """The charge is the session's latest and has not been reversed (by a correction…)."""
    latest = session.exec(
        select(UsageCharge.id)
        .where(UsageCharge.usage_session_id == charge.usage_session_id)
        .order_by(col(UsageCharge.revision).desc())
    ).first()
    if latest != charge.id or _reversal_of(session, charge.transaction_id) is not None:
        raise Conflict(
            "Charge {charge_id} has already been reversed or corrected.",
            charge_id=charge.id,
            error_code="charge_reversed",
        )


def open_dispute(
    session: Session, *, maker_id: int, charge_id: int, reason: str, now: datetime
) -> ChargeDispute:
    """A maker disputes their usage charge `charge_id` (the kiosk calls this)."""
    charge = session.get(UsageCharge, charge_id)
    if charge is None:
        raise NotFound("No charge has the id {id}.", id=charge_id, error_code="charge_not_found")
    if charge.maker_id != maker_id:
        raise RuleViolation(
            [
                Violation(
                    "not_your_charge", "Charge {charge_id} is not yours.", {"charge_id": charge_id}
                )
            ]
        )
    text = _reason(reason)
    open_one = session.exec(
        select(ChargeDispute.id).where(
            ChargeDispute.usage_charge_id == charge_id, ChargeDispute.state == DisputeState.OPEN
        )
    ).first()
    if open_one is not None:
        raise _already_open(charge_id)
    _check_reversible(session, charge)
    dispute = ChargeDispute(
        usage_charge_id=charge_id, maker_id=maker_id, reason=text, opened_at=now
    )
    try:
        with session.begin_nested():
            session.add(dispute)
            session.flush()
    except IntegrityError:  # another open dispute won the race
        raise _already_open(charge_id) from None
    log.info("dispute_opened", extra={"dispute_id": dispute.id, "maker_id": maker_id})
    return dispute


def _already_open(charge_id: int) -> Conflict:
    return Conflict(
        "Charge {charge_id} is already disputed: a manager will answer.",
        charge_id=charge_id,
        error_code="dispute_open",
    )


def get_dispute(session: Session, dispute_id: int, *, for_update: bool = False) -> ChargeDispute:
    query = select(ChargeDispute).where(ChargeDispute.id == dispute_id)
    if for_update:
        query = query.with_for_update()
    dispute = session.exec(query).first()
    if dispute is None:
        raise NotFound("No dispute has the id {id}.", id=dispute_id, error_code="dispute_not_found")
    return dispute


def _decided(dispute: ChargeDispute) -> Conflict:
    return Conflict(
        "Dispute {id} was already {state}.",
        id=dispute.id,
        state=dispute.state.value,
        error_code="dispute_decided",
    )


def _site_of(session: Session, dispute: ChargeDispute) -> Site:
    """The site of the disputed charge's machine (its letters say times in the site's zone)."""
    return session.exec(
        select(Site)
        .join(Equipment, col(Equipment.site_id) == col(Site.id))
        .join(UsageCharge, col(UsageCharge.equipment_id) == col(Equipment.id))
        .where(UsageCharge.id == dispute.usage_charge_id)
    ).one()


def _dispute_to_decide(session: Session, dispute_id: int, actor: Actor) -> ChargeDispute:
    """The dispute, locked, once `actor` may decide it: their site's, not their own."""
    dispute = get_dispute(session, dispute_id, for_update=True)
    check_site(session, actor, _site_of(session, dispute).id)
    check_not_own(actor, dispute.maker_id)
    return dispute


def accept_dispute(
    session: Session,
    *,
    dispute_id: int,
    actor: Actor,
    now: datetime,
    zone: ZoneInfo,
    note: str = "",
) -> ChargeDispute:
    """Accept: the charge is reversed on the day of `now` in `zone` (the ledger's; it still
    balances; the maker owes it no more)."""
    dispute = _dispute_to_decide(session, dispute_id, actor)
    if dispute.state is DisputeState.ACCEPTED:
        return dispute
    if dispute.state is not DisputeState.OPEN:
        raise _decided(dispute)
    charge = session.get(UsageCharge, dispute.usage_charge_id)
    assert charge is not None
    _check_reversible(session, charge)
    reversal = reverse_charge(session, charge.usage_session_id, now=now, zone=zone)
    dispute.reversal_id = (
        reversal.id if reversal is not None else _reversal_of(session, charge.transaction_id)
    )
    _decide(session, dispute, DisputeState.ACCEPTED, actor, note.strip()[:500], now)
    return dispute


def refuse_dispute(
    session: Session, *, dispute_id: int, actor: Actor, reason: str, now: datetime
) -> ChargeDispute:
    """Refuse, with a reason the maker is told."""
    dispute = _dispute_to_decide(session, dispute_id, actor)
    if dispute.state is DisputeState.REFUSED:
        return dispute
    if dispute.state is not DisputeState.OPEN:
        raise _decided(dispute)
    _decide(session, dispute, DisputeState.REFUSED, actor, _reason(reason), now)
    return dispute


def _decide(
    session: Session,
    dispute: ChargeDispute,
    state: DisputeState,
    actor: Actor,
    reason: str,
    now: datetime,
) -> None:
    from scheduling import notifier
    from scheduling.letters import Cents

    dispute.state = state
    dispute.decided_at = now
    dispute.decided_by_id = actor.manager_id
    dispute.decision_reason = reason
    session.add(dispute)
    session.flush()
    site = _site_of(session, dispute)
    record_action(
        session,
        actor,
        f"dispute_{state.value}",
        subject=f"dispute {dispute.id}",
        site_id=site.id,
        now=now,
    )
    charge = session.get(UsageCharge, dispute.usage_charge_id)
    notifier.enqueue_letter(
        session,
        key=f"dispute_{state.value}:{dispute.id}",
        kind=f"dispute_{state.value}",
        maker_id=dispute.maker_id,
        params={"amount": Cents(charge.total_cents if charge is not None else 0)},
        timezone=site.timezone,
        now=now,
        note=reason,
    )
    log.info("dispute_decided", extra={"dispute_id": dispute.id, "state": state.value})


def list_disputes(
    session: Session, actor: Actor, *, state: DisputeState | None = DisputeState.OPEN
) -> list[ChargeDispute]:
    """The disputes `actor` may decide (their site's; every site's for a network admin), oldest
    first (only the open ones by default; `state=None`: all)."""
    query = select(ChargeDispute).order_by(col(ChargeDispute.opened_at), col(ChargeDispute.id))
    if not actor.is_admin:
        query = (
            query.join(UsageCharge, col(UsageCharge.id) == col(ChargeDispute.usage_charge_id))
            .join(Equipment, col(Equipment.id) == col(UsageCharge.equipment_id))
            .where(Equipment.site_id == actor.site_id)
        )
    if state is not None:
        query = query.where(ChargeDispute.state == state)
    return list(session.exec(query).all())


def charge_reversed() -> sa.ColumnElement[bool]:
    """Whether a `UsageCharge` row's transaction was reversed (by an accepted dispute, a
    correction…): the charge no longer counts."""
    reversed_ids = select(LedgerTransaction.reverses_id).where(
        col(LedgerTransaction.reverses_id).is_not(None)
    )
    return col(UsageCharge.transaction_id).in_(reversed_ids)


def charge_corrected() -> sa.ColumnElement[bool]:
    """Whether a `UsageCharge` row was superseded by a later revision of its session's charge."""
    later = aliased(UsageCharge)
    return sa.exists().where(
        col(later.usage_session_id) == col(UsageCharge.usage_session_id),
        col(later.revision) > col(UsageCharge.revision),
    )


def charge_disputed() -> sa.ColumnElement[bool]:
    """Whether a `UsageCharge` row is under an open dispute."""
    disputed = select(ChargeDispute.usage_charge_id).where(ChargeDispute.state == DisputeState.OPEN)
    return col(UsageCharge.id).in_(disputed)


def disputable_charges(session: Session, maker_id: int, *, since: date) -> list[UsageCharge]:
    """A maker's charges since a day that could be disputed now (for the kiosk's list): not
    reversed, not corrected, not under an open dispute; newest first."""
    return list(
        session.exec(
            select(UsageCharge)
            .where(
                UsageCharge.maker_id == maker_id,
                col(UsageCharge.occurred_on) >= since,
                ~charge_reversed(),
                ~charge_disputed(),
                ~charge_corrected(),
            )
            .order_by(col(UsageCharge.occurred_on).desc(), col(UsageCharge.id).desc())
        ).all()
    )
