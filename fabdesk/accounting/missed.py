"""Missed bookings billed where the category's charge policy says so (a fee, or the booked time).

A booking released as a no-show is charged once, by the key `missed:<booking id>`, to the maker
(or to the organisation it was booked for), with the same credit side as a usage charge (VAT,
co-investors, the lab). The statement shows it as a `charge` whose description starts with
`missed booking`. Categories whose policy leaves missed bookings free post nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from fabdesk.accounting.charges import revenue_postings
from fabdesk.accounting.ledger import AccountRef, account_ids, post_transaction
from fabdesk.accounting.months import local_day
from fabdesk.accounting.pricing import PriceRules, SessionFacts, price_missed_booking
from fabdesk.models import (
    AccountKind,
    Booking,
    BookingState,
    Equipment,
    EquipmentCategory,
    EquipmentShare,
    LedgerTransaction,
    Maker,
    Site,
    TransactionKind,
)

__all__ = ["post_missed_bookings"]

log = logging.getLogger(__name__)

_B = Booking.__table__  # type: ignore[attr-defined]
_E = Equipment.__table__  # type: ignore[attr-defined]
_C = EquipmentCategory.__table__  # type: ignore[attr-defined]
_M = Maker.__table__  # type: ignore[attr-defined]
_S = Site.__table__  # type: ignore[attr-defined]
_T = LedgerTransaction.__table__  # type: ignore[attr-defined]
_SH = EquipmentShare.__table__  # type: ignore[attr-defined]


def post_missed_bookings(session: Session, *, now: datetime, rules: PriceRules) -> int:
    """Charge every booking released as a no-show by `now` whose category's policy bills it,
    once; returns how many were charged now."""
    billed = [code for code, policy in rules.policies.items() if policy.missed_booking != "free"]
    if not billed:
        return 0
    key = sa.literal("missed:") + sa.cast(_B.c.id, sa.String)
    rows = session.execute(
        sa.select(
            _B.c.id,
            _B.c.maker_id,
            _B.c.organisation_id,
            _B.c.equipment_id,
            _B.c.starts_at,
            _B.c.ends_at,
            _E.c.asset_tag,
            _E.c.rate_cents_per_hour,
            _E.c.billing_unit_minutes,
            _E.c.minimum_charge_cents,
            _C.c.code,
            _M.c.tier,
            _S.c.timezone,
        )
        .select_from(
            _B.join(_E, _E.c.id == _B.c.equipment_id)
            .join(_C, _C.c.id == _E.c.category_id)
            .join(_M, _M.c.id == _B.c.maker_id)
            .join(_S, _S.c.id == _E.c.site_id)
        )
        .where(
            _B.c.state == BookingState.NO_SHOW,
            _B.c.ends_at <= now,
            _C.c.code.in_(billed),
            ~sa.exists().where(_T.c.key == key),
        )
        .order_by(_B.c.starts_at, _B.c.id)
    ).all()
    count = 0
    for row in rows:
        booked = (row.ends_at - row.starts_at).total_seconds()
        price = price_missed_booking(
            SessionFacts(
                active_seconds=0,
                rate_cents_per_hour=row.rate_cents_per_hour,
                billing_unit_minutes=row.billing_unit_minutes,
                minimum_charge_cents=row.minimum_charge_cents,
                category_code=row.code,
                tier=str(row.tier or "standard"),
                booked_seconds=booked,
            ),
            rules,
        )
        if price is None or price.total <= 0:
            continue
        shares = [
            (int(investor), int(points))
            for investor, points in session.execute(
                sa.select(_SH.c.investor_id, _SH.c.basis_points)
                .where(_SH.c.equipment_id == row.equipment_id)
                .order_by(_SH.c.investor_id)
            ).all()
        ]
        payer: AccountRef = (
            (AccountKind.MAKER, row.maker_id)
            if row.organisation_id is None
            else (AccountKind.ORGANISATION, row.organisation_id)
        )
        refs = [(payer, price.total), *revenue_postings(price.total, price.vat, 0, shares,
                                                          row.equipment_id)]  # fmt: skip
        refs = [(ref, amount) for ref, amount in refs if amount != 0]
        ids = account_ids(session, [ref for ref, _amount in refs])
        zone = ZoneInfo(row.timezone)  # the booked machine's site's
        start, end = row.starts_at.astimezone(zone), row.ends_at.astimezone(zone)
        posted = post_transaction(
            session,
            key=f"missed:{row.id}",
            kind=TransactionKind.CHARGE,
            postings=[(account, amount) for account, (_ref, amount) in zip(ids, refs, strict=True)],
            occurred_on=local_day(row.starts_at, zone),  # the booked machine's site's day
            now=now,
            zone=rules.zone,
            memo=f"missed booking {row.asset_tag} {start:%H:%M}-{end:%H:%M}",
            maker_id=row.maker_id if row.organisation_id is None else None,
            equipment_id=row.equipment_id,
        )
        if posted is not None:
            count += 1
            log.info("missed_booking_charged", extra={"booking_id": row.id, "cents": price.total})
    return count
