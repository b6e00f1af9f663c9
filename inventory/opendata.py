"""The cadastre as open data (CSV and JSON-LD with schema.org), per site or network-wide.

Only facts about equipment, sites and public co-funding leave: never a person. No maker, no
borrower's name (`lent_to`), no notes (free text may name someone), no serial number, no actor
of the history. The columns are an allow-list: a new field of the register stays private until
added here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from fabdesk.models import Equipment, EquipmentCategory, EquipmentShare, Investor, Site
from inventory.register import get_site

LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"


@dataclass(frozen=True)
class OpenItem:
    """One item as published."""

    asset_tag: str
    site: str
    site_name: str
    site_address: str
    category: str
    category_en: str
    category_fr: str
    category_nl: str
    name: str
    make: str
    model: str
    acquired_year: int | None
    acquisition_cost_eur: float | None
    expected_life_years: int | None
    bookable: bool
    status: str
    rate_eur_per_hour: float
    co_funding: str
    """`Region 50 %; City 50 %` (organisations only)."""


OPEN_COLUMNS = list(OpenItem.__dataclass_fields__)


def open_items(session: Session, *, site_code: str | None = None) -> list[OpenItem]:
    """The published facts of every item (or of one site), by asset tag; retired items left out."""
    query = (
        sa.select(Equipment, Site, EquipmentCategory)
        .join(Site, col(Site.id) == col(Equipment.site_id))
        .join(EquipmentCategory, col(EquipmentCategory.id) == col(Equipment.category_id))
        .where(col(Equipment.status) != "retired")
        .order_by(col(Equipment.asset_tag))
    )
    if site_code is not None:
        query = query.where(col(Site.id) == get_site(session, site_code).id)
    funding: dict[int, list[str]] = {}
    for equipment_id, name, points in session.execute(
        sa.select(
            col(EquipmentShare.equipment_id), col(Investor.name), col(EquipmentShare.basis_points)
        )
        .join(Investor, col(Investor.id) == col(EquipmentShare.investor_id))
        .order_by(col(EquipmentShare.basis_points).desc(), col(Investor.name))
    ):
        funding.setdefault(equipment_id, []).append(f"{name} {points / 100:g} %")
    items = []
    for item, site, category in session.execute(query):
        items.append(
            OpenItem(
                asset_tag=item.asset_tag,
                site=site.code,
                site_name=site.name,
                site_address=site.address,
                category=category.code,
                category_en=category.name_en,
                category_fr=category.name_fr,
                category_nl=category.name_nl,
                name=item.name,
                make=item.make,
                model=item.model,
                acquired_year=item.acquired_on.year if item.acquired_on else None,
                acquisition_cost_eur=(
                    item.acquisition_cost_cents / 100
                    if item.acquisition_cost_cents is not None
                    else None
                ),
                expected_life_years=item.expected_life_years,
                bookable=item.bookable,
                status=item.status.value,
                rate_eur_per_hour=item.rate_cents_per_hour / 100,
                co_funding="; ".join(funding.get(item.id or 0, [])),
            )
        )
    return items


def opendata_csv(items: Sequence[OpenItem]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(OPEN_COLUMNS)
    for item in items:
        row = asdict(item)
        writer.writerow(
            [
                ("yes" if row[n] else "no")
                if isinstance(row[n], bool)
                else ("" if row[n] is None else row[n])
                for n in OPEN_COLUMNS
            ]
        )
    return buffer.getvalue()


def opendata_jsonld(items: Sequence[OpenItem], *, base_url: str, published: date) -> str:
    """A schema.org Dataset whose parts are the sites (Place) and items (IndividualProduct)."""
    base = base_url.rstrip("/")
    places: dict[str, dict[str, object]] = {}
    products = []
    for item in items:
        place_id = f"{base}/sites/{item.site}"
        places.setdefault(
            item.site,
            {
                "@id": place_id,
                "@type": "Place",
                "identifier": item.site,
                "name": item.site_name,
                "address": item.site_address,
            },
        )
        product: dict[str, object] = {
            "@id": f"{base}/equipment/{item.asset_tag}",
            "@type": "IndividualProduct",
            "identifier": item.asset_tag,
            "name": item.name,
            "category": item.category_en,
            "additionalType": item.category,
            "isRelatedTo": {"@id": place_id},
            "additionalProperty": [
                {"@type": "PropertyValue", "name": "status", "value": item.status},
                {"@type": "PropertyValue", "name": "bookable", "value": item.bookable},
                {
                    "@type": "PropertyValue",
                    "name": "rate",
                    "value": item.rate_eur_per_hour,
                    "unitText": "EUR/h",
                },
            ],
        }
        if item.make:
            product["manufacturer"] = {"@type": "Organization", "name": item.make}
        if item.model:
            product["model"] = item.model
        if item.acquired_year is not None:
            product["productionDate"] = str(item.acquired_year)
        if item.co_funding:
            product["additionalProperty"].append(  # type: ignore[attr-defined]
                {"@type": "PropertyValue", "name": "co_funding", "value": item.co_funding}
            )
        if item.acquisition_cost_eur is not None:
            product["additionalProperty"].append(  # type: ignore[attr-defined]
                {
                    "@type": "PropertyValue",
                    "name": "acquisition_cost",
                    "value": item.acquisition_cost_eur,
                    "unitText": "EUR",
                }
            )
        products.append(product)
    document = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": "Equipment cadastre of the fablab network",
        "description": "Machines and tools that can be mobilised across the network's fablabs.",
        "license": LICENSE,
        "dateModified": published.isoformat(),
        "hasPart": [*places.values(), *products],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"
