"""Items lent out: which are out, which are overdue (their return date has passed), and the daily
word to the managers about the overdue ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from fabdesk.models import Equipment, EquipmentStatus, Maker, ManagerCredential, Site, id_of
from inventory.lookups import get_site


@dataclass(frozen=True)
class Loan:
    """An item out on loan."""

    asset_tag: str
    name: str
    site: str
    lent_to: str
    lent_until: date | None
    overdue: bool
    """Its return date has passed."""
    days_late: int


def lent_items(session: Session, today: date, *, site_code: str | None = None) -> list[Loan]:
    """Every item lent out (of one site), soonest return first."""
    query = (
        select(Equipment, Site.code)
        .join(Site, col(Site.id) == col(Equipment.site_id))
        .where(Equipment.status == EquipmentStatus.LENT_OUT)
        .order_by(col(Equipment.lent_until), col(Equipment.asset_tag))
    )
    if site_code is not None:
        query = query.where(Site.id == id_of(get_site(session, site_code)))
    loans = []
    for item, code in session.exec(query):
        late = (today - item.lent_until).days if item.lent_until else 0
        loans.append(
            Loan(
                asset_tag=item.asset_tag,
                name=item.name,
                site=code,
                lent_to=item.lent_to or "",
                lent_until=item.lent_until,
                overdue=late > 0,
                days_late=max(late, 0),
            )
        )
    return loans


def overdue_loans(session: Session, today: date, *, site_code: str | None = None) -> list[Loan]:
    """The loans whose return date has passed, the latest first."""
    late = [loan for loan in lent_items(session, today, site_code=site_code) if loan.overdue]
    return sorted(late, key=lambda loan: (-loan.days_late, loan.asset_tag))


@dataclass(frozen=True)
class LoanNotice:
    """The daily letter (`overdue_loans` of `scheduling.letters`) about overdue loans for one
    manager (by id) or for the desk, in their language."""

    maker_id: int | None
    recipient: str
    language: str
    params: Mapping[str, Any]


def overdue_notices(
    session: Session, today: date, *, desk_email: str, desk_language: str
) -> list[LoanNotice]:
    """One letter per manager (the loans of the site they manage, or all for a network admin),
    plus one for the desk's address; none when no loan is overdue."""
    late = overdue_loans(session, today)
    if not late:
        return []
    notices = [_notice(None, desk_email, desk_language, late, today)] if desk_email else []
    rows = session.exec(
        select(Maker, ManagerCredential.site_id, Site.code)
        .join(ManagerCredential, col(ManagerCredential.maker_id) == col(Maker.id))
        .outerjoin(Site, col(Site.id) == col(ManagerCredential.site_id))
        .order_by(col(Maker.id))
    ).all()
    for maker, site_id, code in rows:
        theirs = [loan for loan in late if site_id is None or loan.site == code]
        if theirs:
            notices.append(_notice(id_of(maker), maker.email, maker.language, theirs, today))
    return notices


def _notice(
    maker_id: int | None, recipient: str, language: str, loans: list[Loan], today: date
) -> LoanNotice:
    from fabdesk.errors import Count
    from scheduling.letters import DAYS_LATE

    items = [
        {
            "tag": loan.asset_tag,
            "name": loan.name,
            "site": loan.site,
            "borrower": loan.lent_to,
            "due": loan.lent_until or today,
            "late": Count(DAYS_LATE, loan.days_late),
        }
        for loan in loans
    ]
    params = {"day": today, "count": len(loans), "items": items}
    return LoanNotice(maker_id=maker_id, recipient=recipient, language=language, params=params)
