"""The register of sites and equipment: lookups shared by the CLI, the kiosk and the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from fabdesk.errors import NotFound
from fabdesk.models import Equipment, EquipmentCategory, Site


@dataclass(frozen=True)
class SiteEquipment:
    """A site with its items, each paired with its category, in asset-tag order."""

    site: Site
    items: Sequence[tuple[Equipment, EquipmentCategory]]


def get_site(session: Session, code: str) -> Site:
    site = session.exec(select(Site).where(Site.code == code)).first()
    if site is None:
        raise NotFound("There is no site {code!r}.", code=code, error_code="site_not_found")
    return site


def list_sites(session: Session) -> list[Site]:
    return list(session.exec(select(Site).order_by(col(Site.code))))


def site_equipment(session: Session, code: str) -> SiteEquipment:
    site = get_site(session, code)
    rows = session.exec(
        select(Equipment, EquipmentCategory)
        .join(EquipmentCategory, col(Equipment.category_id) == col(EquipmentCategory.id))
        .where(Equipment.site_id == site.id)
        .order_by(col(Equipment.asset_tag))
    ).all()
    return SiteEquipment(site=site, items=[(item, category) for item, category in rows])
