"""Usage becomes money: price a finished session, post its charge once, reverse it when wrong.

A charge transaction (cents; debit +, credit -):
- maker            + what the maker pays (co-payment and whatever no cheque covers); when the
                     session ran in a booking made on behalf of an organisation (or a manager
                     assigned it to one), the organisation's account is billed instead, and no
                     cheque pays; a session assigned to a lab's own use bills `lab:<site>`.
                     An unattributed session is never charged (docs/attribution.md)
- cheque k         + what cheque k pays (soonest expiry first, within the programme's rules)
- vat              - the VAT included in the total
- materials        - the material sold, at cost
- investor i       - investor i's share of the rest (largest remainder, exact to the cent)
- revenue:machine  - the lab's share (all of it for a machine without co-investors)
The idempotency key is `charge:<session uuid>`: replays, retries and re-runs post nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.accounting.cheques import eligible_funds
from fabdesk.accounting.coinvest import split_revenue
from fabdesk.accounting.ledger import (
    AccountRef,
    PostedTransaction,
    account_id,
    account_ids,
    balance,
    find_account,
    post_transaction,
    postings_of,
)
from fabdesk.accounting.months import local_day
from fabdesk.accounting.pricing import (
    ChequeSpend,
    Price,
    PriceRules,
    SessionFacts,
    plan_cheque_spend,
    price_session,
)
from fabdesk.errors import Conflict, InvalidValue, NotFound
from fabdesk.models import (
    AccountKind,
    Booking,
    Cheque,
    ChequeProgramme,
    Equipment,
    EquipmentCategory,
    EquipmentShare,
    InvestorMember,
    LedgerAccount,
    LedgerPeriod,
    LedgerTransaction,
    Maker,
    Organisation,
    Site,
    TransactionKind,
    UsageCharge,
    UsageSession,
    id_of,
)

__all__ = [
    "latest_charge",
    "maker_balance",
    "post_pending_charges",
    "post_usage_charge",
    "record_payment",
    "revenue_postings",
    "reverse_charge",
]

log = logging.getLogger(__name__)


def post_usage_charge(
    session: Session,
    usage_session_id: int,
    *,
    now: datetime,
    rules: PriceRules,
) -> PostedTransaction | None:
    """Price a finished usage session and post its charge; None if it was charged already.

    Idempotent by the session's uuid: a replay, a retry or a second run posts nothing. A session
    whose month is closed is booked in the open month, with its real date kept.
    """
    facts = _facts(session, usage_session_id)
    if facts.charged:
        return None
    return _post_charge(session, facts, revision=1, now=now, rules=rules)


@dataclass(frozen=True)
class _Facts:
    """One usage session with its machine and maker, read in one query."""

    usage: Any
    charged: bool
    shares: list[_Share]


@dataclass(frozen=True)
class _Share:
    investor_id: int
    basis_points: int
    usage_hours_per_year: int


_USAGE = UsageSession.__table__  # type: ignore[attr-defined]
_EQUIPMENT = Equipment.__table__  # type: ignore[attr-defined]
_CATEGORY = EquipmentCategory.__table__  # type: ignore[attr-defined]
_MAKER = Maker.__table__  # type: ignore[attr-defined]
_CHARGE = UsageCharge.__table__  # type: ignore[attr-defined]


_CHEQUE = Cheque.__table__  # type: ignore[attr-defined]
_SHARE = EquipmentShare.__table__  # type: ignore[attr-defined]
_PERIOD = LedgerPeriod.__table__  # type: ignore[attr-defined]
_BOOKING = Booking.__table__  # type: ignore[attr-defined]
_ORGANISATION = Organisation.__table__  # type: ignore[attr-defined]
_SITE = Site.__table__  # type: ignore[attr-defined]
# Statements built once: posting a charge runs them thousands of times.
_FACTS = (
    sa.select(
        _USAGE.c.id,
        _USAGE.c.uuid,
        _USAGE.c.equipment_id,
        _USAGE.c.maker_id,
        _USAGE.c.lab_site_id,
        _USAGE.c.ended_at,
        _USAGE.c.outcome,
        _USAGE.c.active_seconds,
        _USAGE.c.material_g,
        _USAGE.c.material_mm,
        _EQUIPMENT.c.asset_tag,
        _SITE.c.timezone.label("site_timezone"),
        _EQUIPMENT.c.rate_cents_per_hour,
        _EQUIPMENT.c.billing_unit_minutes,
        _EQUIPMENT.c.minimum_charge_cents,
        _CATEGORY.c.code.label("category_code"),
        _MAKER.c.tier,
        _MAKER.c.sector,
        _MAKER.c.enterprise_number,
        sa.exists().where(_CHARGE.c.usage_session_id == _USAGE.c.id).label("charged"),
        sa.exists().where(_CHEQUE.c.maker_id == _USAGE.c.maker_id).label("has_cheques"),
        sa.select(sa.func.max(_PERIOD.c.month)).scalar_subquery().label("last_closed"),
        _SHARE.c.investor_id.label("share_investor"),
        _SHARE.c.basis_points.label("share_points"),
        _SHARE.c.usage_hours_per_year.label("share_hours"),
        _ORGANISATION.c.id.label("organisation_id"),
        _ORGANISATION.c.code.label("organisation_code"),
        _BOOKING.c.starts_at.label("booked_from"),
        _BOOKING.c.ends_at.label("booked_until"),
    )
    .select_from(
        _USAGE.join(_EQUIPMENT, _EQUIPMENT.c.id == _USAGE.c.equipment_id)
        .join(_SITE, _SITE.c.id == _EQUIPMENT.c.site_id)
        .join(_CATEGORY, _CATEGORY.c.id == _EQUIPMENT.c.category_id)
        .outerjoin(_MAKER, _MAKER.c.id == _USAGE.c.maker_id)
        .outerjoin(_SHARE, _SHARE.c.equipment_id == _USAGE.c.equipment_id)
        .outerjoin(_BOOKING, _BOOKING.c.id == _USAGE.c.booking_id)
        .outerjoin(
            _ORGANISATION,
            _ORGANISATION.c.id
            == sa.func.coalesce(_USAGE.c.organisation_id, _BOOKING.c.organisation_id),
        )
    )
    .where(_USAGE.c.id == sa.bindparam("usage_id"))
)


def _facts(session: Session, usage_session_id: int) -> _Facts:
    """The session, its machine, maker and the machine's co-investor shares (one row each)."""
    rows = session.connection().execute(_FACTS, {"usage_id": usage_session_id}).all()
    if not rows:
        raise NotFound("No usage session has the id {id}.", id=usage_session_id)
    shares = [
        _Share(row.share_investor, row.share_points, row.share_hours)
        for row in rows
        if row.share_investor is not None
    ]
    return _Facts(usage=rows[0], charged=bool(rows[0].charged), shares=shares)


def _post_charge(
    session: Session, facts: _Facts, *, revision: int, now: datetime, rules: PriceRules
) -> PostedTransaction | None:
    usage = facts.usage
    if usage.ended_at is None or usage.outcome is None:
        raise Conflict(
            "Usage session {uuid} has not finished: it cannot be charged yet.",
            uuid=str(usage.uuid),
            error_code="session_not_finished",
        )
    if usage.maker_id is None and usage.organisation_id is None and usage.lab_site_id is None:
        raise Conflict(
            "Usage session {uuid} is not attributed to anyone: a manager assigns it first "
            "(fabdesk usage unattributed).",
            uuid=str(usage.uuid),
            error_code="session_unattributed",
        )
    day = local_day(usage.ended_at, ZoneInfo(usage.site_timezone))  # its machine's site's day
    shares = facts.shares
    rights_investor, rights_seconds = _usage_rights(session, usage, shares, day)
    price = price_session(_pricing_facts(usage, rights_seconds), rules)
    spends = (
        plan_cheque_spend(
            price.total,
            eligible_funds(
                session,
                maker_id=usage.maker_id,
                sector=usage.sector,
                category_code=usage.category_code,
                day=day,
            ),
        )
        if usage.has_cheques
        and not usage.enterprise_number
        and usage.organisation_id is None  # an organisation pays: no maker's cheque
        and price.total > 0
        else []
    )
    cheque_total = sum(spend.amount for spend in spends)
    postings = _charge_postings(session, usage, price, spends, shares)
    key = f"charge:{usage.uuid}" if revision == 1 else f"charge:{usage.uuid}#{revision}"
    transaction = post_transaction(
        session,
        key=key,
        kind=TransactionKind.CHARGE,
        postings=postings,
        occurred_on=day,
        now=now,
        zone=rules.zone,
        memo=f"{usage.asset_tag} {price.billed_minutes} min"
        + (f" for {usage.organisation_code}" if usage.organisation_code else "")
        + (" lab use" if usage.lab_site_id is not None else ""),
        maker_id=usage.maker_id,
        equipment_id=usage.equipment_id,
        key_checked=revision == 1,
        last_closed=usage.last_closed,
        detail=(
            _CHARGE,
            {
                "usage_session_id": usage.id,
                "revision": revision,
                "maker_id": usage.maker_id,
                "equipment_id": usage.equipment_id,
                "occurred_on": day,
                "billed_minutes": price.billed_minutes,
                "active_seconds": float(usage.active_seconds),
                "sector": usage.sector.value if usage.sector is not None else None,
                "tier": usage.tier.value if usage.tier is not None else None,
                "rights_seconds": rights_seconds,
                "rights_investor_id": rights_investor,
                "time_cents": price.time,
                "material_cents": price.material,
                "material_grams": float(price.material_grams),
                "material_cost_cents": price.material_cost,
                "total_cents": price.total,
                "vat_cents": price.vat,
                "cheque_cents": cheque_total,
                "maker_cents": price.total - cheque_total,
                "organisation_id": usage.organisation_id,
            },
        ),
    )
    if transaction is None:
        return None
    log.debug("usage_charged", extra={"session_id": str(usage.uuid), "cents": price.total})
    return transaction


def _pricing_facts(usage: Any, rights_seconds: float) -> SessionFacts:
    return SessionFacts(
        active_seconds=usage.active_seconds,
        rate_cents_per_hour=usage.rate_cents_per_hour,
        billing_unit_minutes=usage.billing_unit_minutes,
        minimum_charge_cents=usage.minimum_charge_cents,
        category_code=usage.category_code,
        tier=usage.tier or "standard",
        material_g=usage.material_g,
        material_mm=usage.material_mm,
        rights_seconds=rights_seconds,
        booked_seconds=(usage.booked_until - usage.booked_from).total_seconds()
        if usage.booked_from is not None
        else None,
    )


def _charge_postings(
    session: Session,
    usage: Any,
    price: Price,
    cheque_spends: Sequence[ChequeSpend],
    shares: Sequence[Any],
) -> list[tuple[int, int]]:
    cheque_total = sum(spend.amount for spend in cheque_spends)
    payer: AccountRef = (
        (AccountKind.LAB, usage.lab_site_id)
        if usage.lab_site_id is not None
        else (AccountKind.ORGANISATION, usage.organisation_id)
        if usage.organisation_id is not None
        else (AccountKind.MAKER, usage.maker_id)
    )
    postings: list[tuple[AccountRef, int]] = [(payer, price.total - cheque_total)]
    postings += [((AccountKind.CHEQUE, spend.cheque_id), spend.amount) for spend in cheque_spends]
    postings += revenue_postings(
        price.total,
        price.vat,
        price.material_cost,
        [(share.investor_id, share.basis_points) for share in shares],
        usage.equipment_id,
    )
    postings = [(ref, amount) for ref, amount in postings if amount != 0]
    ids = account_ids(session, [ref for ref, _amount in postings])
    return [(account, amount) for account, (_ref, amount) in zip(ids, postings, strict=True)]


def revenue_postings(
    total: int,
    vat: int,
    material_cost: int,
    shares: Sequence[tuple[int, int]],
    equipment_id: int | None,
) -> list[tuple[AccountRef, int]]:
    """The credit side of a sale of `total` cents (VAT included): the VAT, the material at cost
    (never more than the net), and the rest split across the machine's `(investor id, basis
    points)` shares, exact to the cent; the lab keeps what is left in `revenue:<machine>` (in
    `revenue` when no machine is named)."""
    net = total - vat
    material_at_cost = min(material_cost, net)
    split = split_revenue(net - material_at_cost, shares)
    postings: list[tuple[AccountRef, int]] = [
        ((AccountKind.VAT, None), -vat),
        ((AccountKind.MATERIALS, None), -material_at_cost),
    ]
    postings += [((AccountKind.INVESTOR, investor), -part) for investor, part in split.investors]
    postings.append(((AccountKind.REVENUE, equipment_id), -split.lab))
    return postings


def _usage_rights(
    session: Session, usage: Any, shares: Sequence[Any], day: date
) -> tuple[int | None, float]:
    """The co-investor whose usage rights this maker uses on this machine, and the seconds of
    this session inside what is left of them this calendar year."""
    with_rights = {
        share.investor_id: share.usage_hours_per_year
        for share in shares
        if share.usage_hours_per_year > 0
    }
    if usage.maker_id is None or not with_rights:
        return None, 0.0
    memberships = session.exec(
        select(InvestorMember.investor_id).where(
            InvestorMember.maker_id == usage.maker_id,
            col(InvestorMember.investor_id).in_(list(with_rights)),
        )
    ).all()
    for investor in sorted(memberships):
        used = rights_used_seconds(session, investor, usage.equipment_id, day.year)
        left = with_rights[investor] * 3600 - used
        if left > 0:
            return investor, min(float(usage.active_seconds), left)
    return None, 0.0


def rights_used_seconds(session: Session, investor_id: int, equipment_id: int, year: int) -> float:
    """Seconds of usage rights an investor's members used on a machine in a year (not reversed)."""
    reversed_ids = select(LedgerTransaction.reverses_id).where(
        col(LedgerTransaction.reverses_id).is_not(None)
    )
    used = session.exec(
        select(sa.func.coalesce(sa.func.sum(UsageCharge.rights_seconds), 0.0)).where(
            UsageCharge.rights_investor_id == investor_id,
            UsageCharge.equipment_id == equipment_id,
            col(UsageCharge.occurred_on) >= date(year, 1, 1),
            col(UsageCharge.occurred_on) <= date(year, 12, 31),
            col(UsageCharge.transaction_id).not_in(reversed_ids),
        )
    ).one()
    return float(used)


ATTRIBUTED = sa.or_(
    col(UsageSession.maker_id).is_not(None),
    col(UsageSession.organisation_id).is_not(None),
    col(UsageSession.lab_site_id).is_not(None),
)
"""Someone pays for the session: only such sessions are charged."""
WAITING = sa.and_(
    col(UsageSession.ended_at).is_not(None),
    col(UsageSession.outcome).is_not(None),
    ~ATTRIBUTED,
    ~sa.exists().where(col(UsageCharge.usage_session_id) == col(UsageSession.id)),
)
"""A finished session nobody pays for yet: it waits for a manager (fabdesk.usage.unattributed)."""


def pending_session_ids(
    session: Session, *, limit: int | None = None, ended_by: datetime | None = None
) -> list[int]:
    """Finished, attributed usage sessions that have no charge yet (ended by `ended_by`),
    oldest end first (unattributed ones wait for a manager: `fabdesk usage unattributed`)."""
    query = (
        select(UsageSession.id)
        .where(
            col(UsageSession.ended_at).is_not(None),
            col(UsageSession.ended_at) <= ended_by if ended_by is not None else sa.true(),
            col(UsageSession.outcome).is_not(None),
            ATTRIBUTED,
            ~sa.exists().where(col(UsageCharge.usage_session_id) == col(UsageSession.id)),
        )
        .order_by(col(UsageSession.ended_at), col(UsageSession.id))
    )
    if limit is not None:
        query = query.limit(limit)
    return [int(found) for found in session.exec(query).all() if found is not None]


def post_pending_charges(
    session: Session, *, now: datetime, rules: PriceRules, limit: int | None = None
) -> int:
    """Price and post every session finished by `now` not charged yet; returns how many."""
    count = 0
    for usage_id in pending_session_ids(session, limit=limit, ended_by=now):
        count += post_usage_charge(session, usage_id, now=now, rules=rules) is not None
    return count


def reverse_charge(
    session: Session,
    usage_session_id: int,
    *,
    now: datetime,
    zone: ZoneInfo,
    repost: PriceRules | None = None,
) -> PostedTransaction | None:
    """Reverse the latest charge of a session (a correction is a reversal plus a new posting),
    on the day of `now` in `zone` (the ledger's, `ledger_zone`).

    The reversal mirrors every posting, except that value going back to a cheque that has
    expired by `now` goes to its programme instead. With `repost` (the configured price rules),
    the session is priced again from its current values and posted as the next revision. Returns
    the reversal, or None when the latest charge is already reversed (idempotent).
    """
    charge = latest_charge(session, usage_session_id)
    if charge is None:
        raise NotFound(
            "Usage session {id} has no charge to reverse.", id=usage_session_id, error_code="charge"
        )
    original = session.get(LedgerTransaction, charge.transaction_id)
    if original is None:
        raise NotFound("Usage session {id} has no charge to reverse.", id=usage_session_id)
    today = local_day(now, zone)
    postings = [
        (_reversal_account(session, account, today), -amount)
        for account, amount in postings_of(session, id_of(original))
    ]
    reversal = post_transaction(
        session,
        key=f"reversal:{original.key}",
        kind=TransactionKind.REVERSAL,
        postings=postings,
        occurred_on=today,
        now=now,
        zone=zone,
        memo=f"reverses {original.key} of {original.occurred_on.isoformat()}",
        maker_id=original.maker_id,
        equipment_id=original.equipment_id,
        reverses_id=id_of(original),
    )
    if repost is not None:
        _post_charge(
            session,
            _facts(session, usage_session_id),
            revision=charge.revision + 1,
            now=now,
            rules=repost,
        )
    return reversal


def latest_charge(session: Session, usage_session_id: int) -> UsageCharge | None:
    """The session's charge of the highest revision (reversed or not), if it has one."""
    return session.exec(
        select(UsageCharge)
        .where(UsageCharge.usage_session_id == usage_session_id)
        .order_by(col(UsageCharge.revision).desc())
    ).first()


def _reversal_account(session: Session, account: int, today: date) -> int:
    row = session.get(LedgerAccount, account)
    if row is None or row.kind != AccountKind.CHEQUE or row.owner_id is None:
        return account
    cheque = session.get(Cheque, row.owner_id)
    if cheque is None or cheque.expires_on >= today:
        return account
    programme = session.get(ChequeProgramme, cheque.programme_id)
    assert programme is not None
    return account_id(session, AccountKind.PROGRAMME, id_of(programme), programme.code)


@dataclass(frozen=True)
class MakerBalance:
    """What a maker owes (positive) or has in credit (negative), in cents."""

    maker_id: int
    owed_cents: int


def maker_balance(session: Session, maker_id: int, today: date | None = None) -> MakerBalance:
    """What a maker owes the lab now (for the kiosk's "Me" screen and statements)."""
    account = find_account(session, AccountKind.MAKER, maker_id)
    return MakerBalance(maker_id, balance(session, account) if account is not None else 0)


def record_payment(
    session: Session,
    *,
    maker_id: int | None = None,
    cents: int,
    reference: str,
    now: datetime,
    zone: ZoneInfo,
    organisation_id: int | None = None,
) -> PostedTransaction | None:
    """Record money a maker (or a paying organisation) paid (bank transfer, card at the desk):
    bank +, maker (organisation) -, on the day of `now` in `zone` (the ledger's).

    Idempotent by `reference` (the bank's or the till's): recording it again posts nothing.
    """
    if cents <= 0:
        raise InvalidValue(
            "A payment must be more than zero; {cents} cents was given.",
            cents=cents,
            error_code="payment_amount",
        )
    if (maker_id is None) == (organisation_id is None):
        raise InvalidValue(
            "A payment comes from one maker or one organisation.", error_code="payer"
        )
    payer: AccountRef
    if organisation_id is not None:
        if session.get(Organisation, organisation_id) is None:
            raise NotFound(
                "There is no organisation {id}.",
                id=organisation_id,
                error_code="organisation_not_found",
            )
        payer = (AccountKind.ORGANISATION, organisation_id)
    else:
        if session.get(Maker, maker_id) is None:
            raise NotFound("No maker has the id {maker_id}.", maker_id=maker_id)
        payer = (AccountKind.MAKER, maker_id)
    bank, account = account_ids(session, [(AccountKind.BANK, None), payer])
    return post_transaction(
        session,
        key=f"payment:{reference}",
        kind=TransactionKind.PAYMENT,
        postings=[(bank, cents), (account, -cents)],
        occurred_on=local_day(now, zone),
        now=now,
        zone=zone,
        memo=f"payment {reference}",
        maker_id=maker_id,
    )
