"""The cadastre as open data (CSV and JSON-LD with schema.org), per site or network-wide, and
the DCAT-AP catalogue that describes it to an open-data portal (opendata.brussels).

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
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col

from fabdesk.errors import ConfigError
from fabdesk.models import (
    Equipment,
    EquipmentCategory,
    EquipmentEvent,
    EquipmentShare,
    Investor,
    Site,
)
from inventory.lookups import get_site

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
    acquired_on: date | None
    acquisition_cost_eur: Decimal | None
    expected_life_years: int | None
    bookable: bool
    status: str
    rate_eur_per_hour: Decimal
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
                acquired_on=item.acquired_on,
                acquisition_cost_eur=(
                    _euros(item.acquisition_cost_cents)
                    if item.acquisition_cost_cents is not None
                    else None
                ),
                expected_life_years=item.expected_life_years,
                bookable=item.bookable,
                status=item.status.value,
                rate_eur_per_hour=_euros(item.rate_cents_per_hour),
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


def _euros(cents: int) -> Decimal:
    """Cents as exact euros with two decimals (`Decimal("1234.50")`)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


XSD = "http://www.w3.org/2001/XMLSchema#"

CONTEXT: dict[str, object] = {
    "@vocab": "https://schema.org/",
    "xsd": XSD,
    "purchaseDate": {"@type": "xsd:date"},
    "dateModified": {"@type": "xsd:date"},
    "license": {"@type": "@id"},
    "additionalType": {"@type": "@id"},
    "availableAtOrFrom": {"@type": "@id"},
}
"""The JSON-LD context, inline so that a reader needs no network: schema.org terms, dates typed
as dates, links as links."""


def _decimal(value: Decimal) -> dict[str, str]:
    """A decimal as JSON-LD writes it without float error: a typed literal."""
    return {"@value": str(value), "@type": "xsd:decimal"}


def opendata_jsonld(items: Sequence[OpenItem], *, base_url: str, published: date) -> str:
    """A schema.org Dataset whose parts are the sites (Place) and items (IndividualProduct).

    An item's place is the Place of the lab that offers it (`offers` → Offer →
    `availableAtOrFrom`, with the hourly rate as a UnitPriceSpecification), its purchase date is
    `purchaseDate` (a date), amounts are `xsd:decimal` literals.
    """
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
        properties: list[dict[str, object]] = [
            {"@type": "PropertyValue", "name": "status", "value": item.status},
            {"@type": "PropertyValue", "name": "bookable", "value": item.bookable},
        ]
        product: dict[str, object] = {
            "@id": f"{base}/equipment/{item.asset_tag}",
            "@type": "IndividualProduct",
            "identifier": item.asset_tag,
            "name": item.name,
            "category": item.category_en,
            "offers": {
                "@type": "Offer",
                "availableAtOrFrom": place_id,
                "priceSpecification": {
                    "@type": "UnitPriceSpecification",
                    "price": _decimal(item.rate_eur_per_hour),
                    "priceCurrency": "EUR",
                    "unitCode": "HUR",
                },
            },
            "additionalProperty": properties,
        }
        if item.make:
            product["manufacturer"] = {"@type": "Organization", "name": item.make}
        if item.model:
            product["model"] = item.model
        if item.acquired_on is not None:
            product["purchaseDate"] = item.acquired_on.isoformat()
        if item.co_funding:
            properties.append(
                {"@type": "PropertyValue", "name": "co_funding", "value": item.co_funding}
            )
        if item.acquisition_cost_eur is not None:
            properties.append(
                {
                    "@type": "PropertyValue",
                    "name": "acquisition_cost",
                    "value": _decimal(item.acquisition_cost_eur),
                    "unitText": "EUR",
                }
            )
        products.append(product)
    document = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "name": "Equipment cadastre of the fablab network",
        "description": "Machines and tools that can be mobilised across the network's fablabs.",
        "license": LICENSE,
        "dateModified": published.isoformat(),
        "hasPart": [*places.values(), *products],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


# ---------------------------------------------------------------------------------------------
# DCAT-AP: the description a regional portal (opendata.brussels) harvests

DCAT_CONTEXT: dict[str, object] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": XSD,
    "dct:issued": {"@type": "xsd:date"},
    "dct:modified": {"@type": "xsd:date"},
    "dct:license": {"@type": "@id"},
    "dct:format": {"@type": "@id"},
    "dcat:mediaType": {"@type": "@id"},
    "dcat:accessURL": {"@type": "@id"},
    "dcat:downloadURL": {"@type": "@id"},
    "dcat:landingPage": {"@type": "@id"},
    "dcat:theme": {"@type": "@id"},
    "dct:language": {"@type": "@id"},
    "foaf:homepage": {"@type": "@id"},
}
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
LANGUAGES = "http://publications.europa.eu/resource/authority/language/"
THEME_EDUCATION = "http://publications.europa.eu/resource/authority/data-theme/EDUC"


@dataclass(frozen=True)
class Publisher:
    """Who publishes the open data (the network's organisation), as configured."""

    name: str
    homepage: str


def register_dates(session: Session) -> tuple[date, date] | None:
    """The day the register's first item was added and the day of its last change (None while
    it is empty): the catalogue's `issued` and `modified`."""
    first, last = session.execute(
        sa.select(sa.func.min(col(EquipmentEvent.at)), sa.func.max(col(EquipmentEvent.at)))
    ).one()
    if first is None or last is None:
        return None
    return first.date(), last.date()


def dcat_catalogue(
    *, base_url: str, publisher: Publisher, issued: date, modified: date, items: int
) -> str:
    """A DCAT-AP catalogue (JSON-LD, inline context) of one dataset, the cadastre, with its CSV
    and JSON-LD distributions as the API serves them."""
    base = base_url.rstrip("/")
    agent = {
        "@id": publisher.homepage or f"{base}/#publisher",
        "@type": "foaf:Agent",
        "foaf:name": publisher.name,
    }
    if publisher.homepage:
        agent["foaf:homepage"] = publisher.homepage
    distributions = [
        {
            "@id": f"{base}/api/v1/opendata/cadastre.{suffix}#distribution",
            "@type": "dcat:Distribution",
            "dct:title": title,
            "dcat:accessURL": f"{base}/api/v1/opendata/cadastre.{suffix}",
            "dcat:downloadURL": f"{base}/api/v1/opendata/cadastre.{suffix}",
            "dct:format": FILE_TYPES + file_type,
            "dcat:mediaType": MEDIA_TYPES + media_type,
            "dct:license": LICENSE,
            "dct:issued": issued.isoformat(),
            "dct:modified": modified.isoformat(),
        }
        for suffix, title, file_type, media_type in (
            ("csv", "The cadastre as CSV", "CSV", "text/csv"),
            ("jsonld", "The cadastre as JSON-LD (schema.org)", "JSON_LD", "application/ld+json"),
        )
    ]
    dataset = {
        "@id": f"{base}/api/v1/opendata/cadastre#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{base}/api/v1/opendata/cadastre",
        "dct:title": [
            {"@value": "Equipment cadastre of the fablab network", "@language": "en"},
            {"@value": "Cadastre des équipements des fablabs", "@language": "fr"},
            {"@value": "Kadaster van de uitrusting van de fablabs", "@language": "nl"},
        ],
        "dct:description": [
            {
                "@value": f"The {items} machines and tools of the network's public fablabs: "
                "site, category, make, purchase date and cost, hourly rate, public co-funding. "
                "No personal data.",
                "@language": "en",
            },
            {
                "@value": f"Les {items} machines et outils des fablabs publics du réseau.",
                "@language": "fr",
            },
            {
                "@value": f"De {items} machines en werktuigen van de openbare fablabs.",
                "@language": "nl",
            },
        ],
        "dcat:keyword": ["fablab", "equipment", "équipement", "uitrusting", "makerspace"],
        "dcat:theme": THEME_EDUCATION,
        "dct:language": [LANGUAGES + code for code in ("ENG", "FRA", "NLD")],
        "dct:publisher": {"@id": agent["@id"]},
        "dct:license": LICENSE,
        "dct:issued": issued.isoformat(),
        "dct:modified": modified.isoformat(),
        "dcat:landingPage": base,
        "dcat:distribution": distributions,
    }
    catalogue = {
        "@context": DCAT_CONTEXT,
        "@graph": [
            {
                "@id": f"{base}/api/v1/opendata/catalogue",
                "@type": "dcat:Catalog",
                "dct:title": "Open data of the fablab network",
                "dct:description": "The fablab network's datasets for open-data portals.",
                "dct:publisher": {"@id": agent["@id"]},
                "dct:license": LICENSE,
                "dct:issued": issued.isoformat(),
                "dct:modified": modified.isoformat(),
                "foaf:homepage": base,
                "dcat:dataset": {"@id": dataset["@id"]},
            },
            dataset,
            agent,
        ],
    }
    return json.dumps(catalogue, ensure_ascii=False, indent=1) + "\n"


def make_publisher(name: str, homepage: str) -> Publisher:
    """The configured publisher; a catalogue without one is refused."""
    if not name.strip():
        raise ConfigError(
            "Say who publishes the open data: set inventory.opendata_publisher "
            "(FABDESK_INVENTORY__OPENDATA_PUBLISHER).",
            error_code="opendata_publisher_missing",
        )
    return Publisher(name.strip(), homepage.strip())


def opendata_catalogue(
    session: Session, *, base_url: str, publisher: Publisher, today: date
) -> str:
    """The DCAT-AP catalogue of the network's cadastre as it stands."""
    issued, modified = register_dates(session) or (today, today)
    return dcat_catalogue(
        base_url=base_url,
        publisher=publisher,
        issued=issued,
        modified=modified,
        items=len(open_items(session)),
    )
