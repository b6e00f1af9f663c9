"""Sites and items looked up (shared by the CLI, the kiosk and the API): a site and its items, a
category, an item by its asset tag, the register's list with filters, an item's training
category and its book value. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from fabdesk.errors import NotFound
from fabdesk.identifiers import parse_asset_tag
from fabdesk.models import Equipment, EquipmentCategory, EquipmentStatus, Site, id_of


@dataclass(frozen=True)
class SiteEquipment:
    """A site with its items, each paired with its category, in asset-tag order."""

    site: Site
    items: list[tuple[Equipment, EquipmentCategory]]


def get_site(session: Session, code: str) -> Site:
    site = session.exec(select(Site).where(Site.code == code)).first()
    if site is None:
        raise NotFound("There is no site {code!r}.", code=code, error_code="site_not_found")
    return site


def network_equipment(session: Session) -> list[SiteEquipment]:
    """Every site in code order with its items, in one query (`fabdesk sites`)."""
    rows = session.exec(
        select(Site, Equipment, EquipmentCategory)
        .outerjoin(Equipment, col(Equipment.site_id) == col(Site.id))
        .outerjoin(EquipmentCategory, col(Equipment.category_id) == col(EquipmentCategory.id))
        .order_by(col(Site.code), col(Equipment.asset_tag))
    ).all()
    listings: dict[int | None, SiteEquipment] = {}
    for site, item, category in rows:
        listing = listings.setdefault(site.id, SiteEquipment(site=site, items=[]))
        if item is not None and category is not None:
            listing.items.append((item, category))
    return list(listings.values())


def site_equipment(session: Session, code: str) -> SiteEquipment:
    site = get_site(session, code)
    rows = session.exec(
        select(Equipment, EquipmentCategory)
        .join(EquipmentCategory, col(Equipment.category_id) == col(EquipmentCategory.id))
        .where(Equipment.site_id == site.id)
        .order_by(col(Equipment.asset_tag))
    ).all()
    return SiteEquipment(site=site, items=[(item, category) for item, category in rows])


def get_category(session: Session, code: str) -> EquipmentCategory:
    category = session.exec(select(EquipmentCategory).where(EquipmentCategory.code == code)).first()
    if category is None:
        raise NotFound(
            "There is no equipment category {category!r}.",
            category=code,
            error_code="category_not_found",
        )
    return category


def get_item(session: Session, asset_tag: str) -> Equipment:
    """The item with this asset tag; a mistyped tag (wrong check character) is InvalidValue."""
    tag = parse_asset_tag(asset_tag)
    item = session.exec(select(Equipment).where(Equipment.asset_tag == tag)).first()
    if item is None:
        raise NotFound("There is no item {tag}.", tag=tag, error_code="item_not_found")
    return item


@dataclass(frozen=True)
class ItemRow:
    """An item with its site and category, as lists and exports show it."""

    item: Equipment
    site: Site
    category: EquipmentCategory


def list_items(
    session: Session,
    *,
    site_code: str | None = None,
    status: EquipmentStatus | None = None,
    category_code: str | None = None,
) -> list[ItemRow]:
    """Items in asset-tag order, optionally of one site, status or category."""
    query = (
        select(Equipment, Site, EquipmentCategory)
        .join(Site, col(Equipment.site_id) == col(Site.id))
        .join(EquipmentCategory, col(Equipment.category_id) == col(EquipmentCategory.id))
        .order_by(col(Equipment.asset_tag))
    )
    if site_code is not None:
        query = query.where(Site.id == id_of(get_site(session, site_code)))
    if status is not None:
        query = query.where(Equipment.status == status)
    if category_code is not None:
        query = query.where(EquipmentCategory.id == id_of(get_category(session, category_code)))
    return [ItemRow(item, site, category) for item, site, category in session.exec(query)]


def training_category(session: Session, item: Equipment) -> EquipmentCategory | None:
    """The category whose training a maker needs to use `item`, or None if none is needed."""
    if item.training_category_code:
        return get_category(session, item.training_category_code)
    category = session.get(EquipmentCategory, item.category_id)
    return category if category is not None and category.needs_training else None


def book_value_cents(item: Equipment, today: date) -> int | None:
    """Straight-line depreciated value on `today` (None without cost, date or expected life)."""
    if item.acquisition_cost_cents is None or item.acquired_on is None:
        return None
    if not item.expected_life_years:
        return None
    life_days = item.expected_life_years * 365.25
    used = max(0, (today - item.acquired_on).days)
    remaining = max(0.0, 1 - used / life_days)
    return round(item.acquisition_cost_cents * remaining)
