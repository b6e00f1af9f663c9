"""The member register: makers, their badges and their certifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from sqlmodel import Session, select

from fabdesk.errors import Conflict, InvalidValue, NotFound
from fabdesk.identifiers import parse_enterprise_number
from fabdesk.models import Certification, Maker, Sector, Tier, id_of
from fabdesk.settings import Language
from inventory.lookups import get_category

LANGUAGES: tuple[Language, ...] = ("fr", "nl", "en")


@dataclass(frozen=True)
class NewMaker:
    member_number: str
    name: str
    email: str = ""
    language: str = "fr"
    badge_id: str | None = None
    enterprise_number: str | None = None
    tier: str = "standard"
    sector: str | None = None


_E = TypeVar("_E", bound=StrEnum)


def _choice(kind: type[_E], value: str, template: str, code: str) -> _E:
    try:
        return kind(value.strip().lower())
    except ValueError:
        raise InvalidValue(
            template, value=value, choices=", ".join(kind), error_code=code
        ) from None


def parse_tier(value: str) -> Tier:
    """A price tier by its code (standard, student, nonprofit)."""
    return _choice(Tier, value, "Tier {value!r} is not one of {choices}.", "tier")


def parse_sector(value: str) -> Sector:
    """One of the Industrial Plan's five sectors by its code."""
    return _choice(Sector, value, "Sector {value!r} is not one of {choices}.", "sector")


def set_profile(
    session: Session, maker: Maker, *, tier: str | None = None, sector: str | None = None
) -> Maker:
    """Change a maker's price tier or sector (what is not given stays; sector `none` clears)."""
    if tier is not None:
        maker.tier = parse_tier(tier)
    if sector is not None:
        maker.sector = None if sector.strip().lower() == "none" else parse_sector(sector)
    session.add(maker)
    session.flush()
    return maker


def register_maker(session: Session, new: NewMaker) -> Maker:
    """Add a maker; the enterprise number, if any, must pass its check digits."""
    if new.language not in LANGUAGES:
        raise InvalidValue(
            "Language {value!r} is not one of fr, nl, en.",
            value=new.language,
            error_code="language",
        )
    company = parse_enterprise_number(new.enterprise_number) if new.enterprise_number else None
    if session.exec(select(Maker.id).where(Maker.member_number == new.member_number)).first():
        raise Conflict(
            "Member number {number} is already taken.",
            number=new.member_number,
            error_code="member_number_taken",
        )
    if (
        new.badge_id
        and session.exec(select(Maker.id).where(Maker.badge_id == new.badge_id)).first()
    ):
        raise Conflict("That badge already belongs to a maker.", error_code="badge_taken")
    maker = Maker(
        member_number=new.member_number,
        name=new.name,
        email=new.email,
        language=new.language,
        badge_id=new.badge_id,
        enterprise_number=company,
        tier=parse_tier(new.tier),
        sector=parse_sector(new.sector) if new.sector else None,
    )
    session.add(maker)
    session.flush()
    return maker


def get_maker(session: Session, member_number: str) -> Maker:
    maker = session.exec(select(Maker).where(Maker.member_number == member_number)).first()
    if maker is None:
        raise NotFound(
            "There is no maker {number}.", number=member_number, error_code="maker_not_found"
        )
    return maker


AZERTY_AS_QWERTY = str.maketrans(
    "&é\"'(§è!çàaqAQzwZW,?;:",
    "1234567890qaQAwzWZmMmM",
)
"""What a scanner set up for a US keyboard types on a Belgian AZERTY terminal, read back: the
digit row comes out as `&é"'(§è!çà`, and A/Q, Z/W and M are swapped (scanners type keys)."""


def badge_readings(scanned: str) -> list[str]:
    """Every way `scanned` may name a badge: as typed, in either case (readers differ), and read
    back from a Belgian AZERTY keyboard when it holds a character of that digit row."""
    value = scanned.strip()
    readings = [value]
    if any(character in value for character in "&é\"'(§è!çà"):
        readings.append(value.translate(AZERTY_AS_QWERTY))
    return list(dict.fromkeys(v for r in readings for v in (r, r.upper(), r.lower())))


def find_by_badge(session: Session, scanned: str) -> Maker:
    """The maker whose badge id or member number (printed as QR on the card) was scanned, matched
    without regard to case, and read back from an AZERTY keyboard when it cannot be otherwise."""
    readings = badge_readings(scanned)
    makers = session.exec(
        select(Maker).where(Maker.badge_id.in_(readings) | Maker.member_number.in_(readings))  # type: ignore[union-attr, attr-defined]
    ).all()
    for reading in readings:  # as typed first: a badge that exists as typed is that badge
        for maker in makers:
            if reading in (maker.badge_id, maker.member_number):
                return maker
    raise NotFound("This badge is not known here.", error_code="badge_unknown")


def certify(
    session: Session,
    maker: Maker,
    category_code: str,
    *,
    granted_on: date,
    expires_on: date | None = None,
) -> Certification:
    """Record that `maker` passed the training of a category."""
    category = get_category(session, category_code)
    certification = Certification(
        maker_id=id_of(maker),
        category_id=id_of(category),
        granted_on=granted_on,
        expires_on=expires_on,
    )
    session.add(certification)
    session.flush()
    return certification


def set_language(session: Session, maker_id: int, language: str) -> Maker:
    """Remember the language a maker chose at a kiosk (fr, nl or en)."""
    if language not in LANGUAGES:
        raise InvalidValue(
            "Language {value!r} is not one of fr, nl, en.",
            value=language,
            error_code="language",
        )
    maker = session.get(Maker, maker_id)
    if maker is None:
        raise NotFound("There is no maker {number}.", number=maker_id, error_code="maker_not_found")
    maker.language = language
    session.add(maker)
    session.flush()
    return maker
