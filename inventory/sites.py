"""Sites and equipment categories, set up by a manager: add, edit, list (no SQL by hand)."""

from __future__ import annotations

from zoneinfo import available_timezones

from sqlmodel import Session, col, select

from fabdesk.errors import Conflict, InvalidValue
from fabdesk.models import EquipmentCategory, Site
from inventory.lookups import get_category, get_site

__all__ = ["add_category", "add_site", "edit_category", "edit_site", "list_categories"]


def _timezone(name: str) -> str:
    if name not in available_timezones():
        raise InvalidValue(
            "{value!r} is not a timezone: write it as Europe/Brussels.",
            value=name,
            error_code="timezone",
        )
    return name


def _code(raw: str) -> str:
    code = raw.strip().lower()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidValue(
            "Code {value!r} must be 1 to 32 letters, digits, - or _.", value=raw, error_code="code"
        )
    return code


def _name(raw: str, limit: int = 120) -> str:
    name = raw.strip()
    if not name or len(name) > limit:
        raise InvalidValue(
            "A name must have 1 to {limit} characters: {value!r}.",
            value=raw,
            limit=limit,
            error_code="name",
        )
    return name


def add_site(
    session: Session, code: str, name: str, *, address: str = "", timezone: str = "Europe/Brussels"
) -> Site:
    """A new site (one fablab); its code names it in every command."""
    code = _code(code)
    if session.exec(select(Site.id).where(Site.code == code)).first() is not None:
        raise Conflict("Site {code} already exists.", code=code, error_code="site_exists")
    site = Site(
        code=code, name=_name(name), address=address.strip()[:240], timezone=_timezone(timezone)
    )
    session.add(site)
    session.flush()
    return site


def edit_site(
    session: Session,
    code: str,
    *,
    name: str | None = None,
    address: str | None = None,
    timezone: str | None = None,
) -> Site:
    """Change a site's name, address or timezone (what is not given stays)."""
    site = get_site(session, code)
    if name is not None:
        site.name = _name(name)
    if address is not None:
        site.address = address.strip()[:240]
    if timezone is not None:
        site.timezone = _timezone(timezone)
    session.add(site)
    session.flush()
    return site


def add_category(
    session: Session,
    code: str,
    *,
    name_en: str,
    name_fr: str,
    name_nl: str,
    needs_training: bool = True,
    lapse_after_days: int | None = None,
) -> EquipmentCategory:
    """A new kind of machine, named in the three languages."""
    code = _code(code)
    found = session.exec(select(EquipmentCategory.id).where(EquipmentCategory.code == code))
    if found.first() is not None:
        raise Conflict("Category {code} already exists.", code=code, error_code="category_exists")
    category = EquipmentCategory(
        code=code,
        name_en=_name(name_en),
        name_fr=_name(name_fr),
        name_nl=_name(name_nl),
        needs_training=needs_training,
        lapse_after_days=_lapse(lapse_after_days),
    )
    session.add(category)
    session.flush()
    return category


def _lapse(days: int | None) -> int | None:
    if days is not None and days < 1:
        raise InvalidValue(
            "A training lapses after at least 1 day without use (0: never), not {value}.",
            value=days,
            error_code="lapse",
        )
    return days


def edit_category(
    session: Session,
    code: str,
    *,
    names: dict[str, str] | None = None,
    needs_training: bool | None = None,
    lapse_after_days: int | None = None,
    never_lapses: bool = False,
) -> EquipmentCategory:
    """Change a category's names (by language), its training rule or its lapse."""
    category = get_category(session, code)
    for language, name in (names or {}).items():
        setattr(category, f"name_{language}", _name(name))
    if needs_training is not None:
        category.needs_training = needs_training
    if never_lapses:
        category.lapse_after_days = None
    elif lapse_after_days is not None:
        category.lapse_after_days = _lapse(lapse_after_days)
    session.add(category)
    session.flush()
    return category


def list_categories(session: Session) -> list[EquipmentCategory]:
    return list(session.exec(select(EquipmentCategory).order_by(col(EquipmentCategory.code))))
