"""Co-investors and each item's funding shares (basis points: 10000 = 100 %)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete, select

from fabdesk.actors import Author, authorise
from fabdesk.errors import Conflict, InvalidValue, NotFound, RuleViolation, Violation
from fabdesk.identifiers import parse_enterprise_number
from fabdesk.models import (
    Equipment,
    EquipmentEventKind,
    EquipmentShare,
    Investor,
    InvestorMember,
    Maker,
    Site,
    id_of,
)
from inventory import memberships
from inventory.lookups import get_item
from inventory.register import record_event

FULL = 10_000
"""All of an item, in basis points."""


def add_investor(
    session: Session, code: str, name: str, *, enterprise_number: str | None = None
) -> Investor:
    """Register a co-investor; its enterprise number, if any, must pass its check digits."""
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z0-9_\-]{1,32}", code):
        raise InvalidValue(
            "Investor code {code!r} must be 1 to 32 letters, digits, - or _.",
            code=code,
            error_code="investor_code",
        )
    if not name.strip():
        raise InvalidValue("The investor needs a name.", error_code="investor_name")
    number = parse_enterprise_number(enterprise_number) if enterprise_number else None
    if session.exec(select(Investor.id).where(Investor.code == code)).first():
        raise Conflict(
            "Investor {code} already exists.", code=code, error_code="investor_code_taken"
        )
    investor = Investor(code=code, name=name.strip(), enterprise_number=number)
    session.add(investor)
    session.flush()
    return investor


def get_investor(session: Session, code: str) -> Investor:
    investor = session.exec(select(Investor).where(Investor.code == code.strip().upper())).first()
    if investor is None:
        raise NotFound("There is no investor {code!r}.", code=code, error_code="investor_not_found")
    return investor


def list_investors(session: Session) -> list[Investor]:
    return list(session.exec(select(Investor).order_by(col(Investor.code))))


@dataclass(frozen=True)
class ShareSpec:
    """One investor's share of an item, as given by a person or a file."""

    investor_code: str
    basis_points: int
    usage_hours_per_year: int = 0


def parse_percent(text: str) -> int:
    """`50`, `33.33` or `12.5%` → basis points (5000, 3333, 1250); at most two decimals."""
    value = text.strip().removesuffix("%").strip().replace(",", ".")
    match = re.fullmatch(r"(\d{1,3})(?:\.(\d{1,2}))?", value)
    if not match:
        raise InvalidValue(
            "{value!r} is not a percentage like 50 or 33.33.", value=text, error_code="percent"
        )
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def share_violations(shares: Sequence[ShareSpec]) -> list[Violation]:
    """What is wrong with a set of shares (empty when they are fine)."""
    violations: list[Violation] = []
    seen: set[str] = set()
    for share in shares:
        code = share.investor_code.strip().upper()
        if code in seen:
            violations.append(
                Violation("share_twice", "Investor {code} appears twice.", {"code": code})
            )
        seen.add(code)
        if not 0 < share.basis_points <= FULL:
            violations.append(
                Violation(
                    "share_range",
                    "The share of {code} must be above 0 % and at most 100 %.",
                    {"code": code},
                )
            )
        if share.usage_hours_per_year < 0:
            violations.append(
                Violation(
                    "share_hours", "Usage hours of {code} cannot be negative.", {"code": code}
                )
            )
    total = sum(s.basis_points for s in shares)
    if shares and total != FULL:
        violations.append(
            Violation(
                "shares_total",
                "The shares add up to {total} %, not 100 %.",
                {"total": f"{total / 100:g}"},
            )
        )
    return violations


def set_shares(
    session: Session,
    asset_tag: str,
    shares: Sequence[ShareSpec],
    *,
    actor: Author,
    now: datetime,
    reason: str = "",
) -> list[EquipmentShare]:
    """Replace an item's funding shares: they add up to exactly 100 %, or there are none."""
    violations = share_violations(shares)
    if violations:
        raise RuleViolation(violations)
    item = get_item(session, asset_tag)
    actor_id = authorise(
        session, actor, "shares_set", subject=item.asset_tag, site_ids=(item.site_id,), now=now
    )
    investors = {s.investor_code.upper(): get_investor(session, s.investor_code) for s in shares}
    old = describe_shares(session, item)
    session.exec(delete(EquipmentShare).where(col(EquipmentShare.equipment_id) == id_of(item)))
    rows = [
        EquipmentShare(
            equipment_id=id_of(item),
            investor_id=id_of(investors[s.investor_code.upper()]),
            basis_points=s.basis_points,
            usage_hours_per_year=s.usage_hours_per_year,
        )
        for s in shares
    ]
    session.add_all(rows)
    session.flush()
    new = describe_shares(session, item)
    if new != old:
        record_event(
            session,
            item,
            EquipmentEventKind.SHARES,
            actor_id=actor_id,
            now=now,
            field="shares",
            old=old,
            new=new,
            reason=reason,
        )
        session.flush()
    return rows


def item_shares(session: Session, item: Equipment) -> list[tuple[Investor, EquipmentShare]]:
    """An item's shares with their investors, largest first."""
    rows = session.exec(
        select(Investor, EquipmentShare)
        .join(EquipmentShare, col(EquipmentShare.investor_id) == col(Investor.id))
        .where(EquipmentShare.equipment_id == id_of(item))
        .order_by(col(EquipmentShare.basis_points).desc(), col(Investor.code))
    ).all()
    return [(investor, share) for investor, share in rows]


def describe_shares(session: Session, item: Equipment) -> str:
    """`REGION 50 %, CITY 50 %` (empty for own funds)."""
    return ", ".join(
        f"{investor.code} {share.basis_points / 100:g} %"
        for investor, share in item_shares(session, item)
    )


@dataclass(frozen=True)
class Holding:
    """An item an investor co-funded, with its share."""

    item: Equipment
    site: Site
    share: EquipmentShare


def investor_holdings(session: Session, code: str) -> list[Holding]:
    """What an investor co-funded, in asset-tag order."""
    investor = get_investor(session, code)
    rows = session.exec(
        select(Equipment, Site, EquipmentShare)
        .join(EquipmentShare, col(EquipmentShare.equipment_id) == col(Equipment.id))
        .join(Site, col(Site.id) == col(Equipment.site_id))
        .where(EquipmentShare.investor_id == id_of(investor))
        .order_by(col(Equipment.asset_tag))
    ).all()
    return [Holding(item, site, share) for item, site, share in rows]


def add_member(session: Session, investor_code: str, maker_id: int) -> InvestorMember:
    """Let a maker use an investor's usage rights (a school's student, a company's staff).
    Adding a member twice changes nothing."""
    investor = get_investor(session, investor_code)
    return memberships.add_member(session, InvestorMember, id_of(investor), maker_id)


def remove_member(session: Session, investor_code: str, maker_id: int) -> bool:
    """Stop a maker using an investor's usage rights; False when they were not a member."""
    investor = get_investor(session, investor_code)
    return memberships.remove_member(session, InvestorMember, id_of(investor), maker_id)


def investor_members(session: Session, investor_code: str) -> list[Maker]:
    """The makers who use an investor's usage rights, by member number."""
    investor = get_investor(session, investor_code)
    return memberships.members(session, InvestorMember, id_of(investor))
