"""Open data: the cadastre per site and network-wide, without a trace of any person."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

import pytest
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import FOAF
from sqlmodel import Session, select

from fabdesk.models import EquipmentStatus, Maker, id_of
from inventory.lookups import list_items
from inventory.makers import NewMaker, register_maker
from inventory.opendata import (
    LICENSE,
    make_publisher,
    open_items,
    opendata_catalogue,
    opendata_csv,
    opendata_jsonld,
)
from inventory.register import change_status, edit_item
from inventory.seed import seed
from tests.inventory.conftest import ACTOR, NOW, TODAY

# rdflib's JSON-LD reader builds a ConjunctiveGraph inside, which rdflib 7.x deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")

LENDER = "Wannes Vandekerckhove-Ouedraogo"


def test_open_data_holds_no_maker_and_no_lender(session: Session) -> None:
    seed(session, today=TODAY)
    maker = register_maker(
        session,
        NewMaker(
            "M09999",
            "Philomène Zwartberg",
            email="philomene.zwartberg@example.org",
            badge_id="BADGE-PZ-77",
        ),
    )
    rows = list_items(session, site_code="cityfab1")
    lent, noted = rows[0].item, rows[1].item
    change_status(
        session,
        lent.asset_tag,
        EquipmentStatus.LENT_OUT,
        reason=f"asked by {maker.name}",
        actor=id_of(maker),
        now=NOW,
        lent_to=LENDER,
        lent_until=TODAY + timedelta(days=10),
    )
    edit_item(
        session,
        noted.asset_tag,
        {"notes": f"Ask {maker.name} ({maker.email}) for the key", "serial_number": "SN-SECRET-1"},
        actor=id_of(maker),
        now=NOW,
    )
    makers = list(session.exec(select(Maker)))
    assert len(makers) == 201
    forbidden = {LENDER, "Atelier de quartier Peterbos", "SN-SECRET-1"}
    for person in makers:
        forbidden |= {person.name, person.email, person.member_number}
        if person.badge_id:
            forbidden.add(person.badge_id)

    items = open_items(session)
    exports = {
        "csv": opendata_csv(items),
        "jsonld": opendata_jsonld(items, base_url="https://fab.example.org", published=TODAY),
        "site csv": opendata_csv(open_items(session, site_code="cityfab1")),
    }
    for name, text in exports.items():
        leaks = sorted(word for word in forbidden if word in text)
        assert leaks == [], f"{name} leaks {leaks[:5]}"

    # And the export is still useful: every item, its site and category, the public co-funding.
    table = list(csv.DictReader(io.StringIO(exports["csv"])))
    assert len(table) == len(list_items(session))
    lent_row = next(r for r in table if r["asset_tag"] == lent.asset_tag)
    assert lent_row["status"] == "lent_out"
    assert lent_row["co_funding"] == (
        "Brussels-Capital Region 50 %; City of Brussels 30 %; Cityfab asbl 20 %"
    )
    assert len(list(csv.DictReader(io.StringIO(exports["site csv"])))) == len(rows)
    document = json.loads(exports["jsonld"])
    assert document["@context"]["@vocab"] == "https://schema.org/"
    assert document["@type"] == "Dataset"
    kinds = [part["@type"] for part in document["hasPart"]]
    assert kinds.count("Place") == 3
    assert kinds.count("IndividualProduct") == len(table)
    product = next(p for p in document["hasPart"] if p.get("identifier") == lent.asset_tag)
    assert product["manufacturer"] == {"@type": "Organization", "name": "Trotec"}
    assert product["offers"]["availableAtOrFrom"] == "https://fab.example.org/sites/cityfab1"


def test_retired_items_are_not_published(world: Session) -> None:
    before = len(open_items(world))
    tag = open_items(world)[0].asset_tag
    change_status(world, tag, EquipmentStatus.RETIRED, reason="gone", actor=ACTOR, now=NOW)
    assert len(open_items(world)) == before - 1


SCHEMA = Namespace("https://schema.org/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")


def _graph(text: str) -> Graph:
    """The document read by rdflib alone: no context is fetched (the context is inline)."""
    graph = Graph()
    graph.parse(data=text, format="json-ld")
    return graph


def _literals(nodes: Iterable[object]) -> list[Literal]:
    found = [node for node in nodes if isinstance(node, Literal)]
    assert found
    return found


def test_the_json_ld_reads_offline_into_products_places_dates_and_decimals(world: Session) -> None:
    edit_item(
        world,
        list_items(world)[0].item.asset_tag,
        {"acquisition_cost_cents": 123456, "rate_cents_per_hour": 1850},
        actor=ACTOR,
        now=NOW,
    )
    items = open_items(world)
    graph = _graph(opendata_jsonld(items, base_url="https://fab.example.org", published=TODAY))
    products = set(graph.subjects(RDF.type, SCHEMA.IndividualProduct))
    places = set(graph.subjects(RDF.type, SCHEMA.Place))
    assert (len(products), len(places)) == (len(items), 2)
    dates = _literals(graph.objects(None, SCHEMA.purchaseDate))
    assert dates
    assert all(d.datatype == XSD.date for d in dates)
    assert Literal("2022-01-10", datatype=XSD.date) in dates
    for product in products:
        (offer,) = graph.objects(product, SCHEMA.offers)
        (place,) = graph.objects(offer, SCHEMA.availableAtOrFrom)
        assert place in places
    prices = {p.toPython() for p in _literals(graph.objects(None, SCHEMA.price))}
    assert Decimal("18.50") in prices
    values = {
        v.toPython()
        for v in _literals(graph.objects(None, SCHEMA.value))
        if v.datatype == XSD.decimal
    }
    assert Decimal("1234.56") in values


def test_the_dcat_ap_catalogue_reads_offline(world: Session) -> None:
    text = opendata_catalogue(
        world,
        base_url="https://fab.example.org",
        publisher=make_publisher("Fablabs de Bruxelles asbl", "https://fablabs.example.org"),
        today=TODAY,
    )
    graph = _graph(text)
    (catalogue,) = graph.subjects(RDF.type, DCAT.Catalog)
    (dataset,) = graph.subjects(RDF.type, DCAT.Dataset)
    assert (catalogue, DCAT.dataset, dataset) in graph
    distributions = set(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == 2
    formats = {str(graph.value(d, DCT["format"])).rsplit("/", 1)[-1] for d in distributions}
    assert formats == {"CSV", "JSON_LD"}
    for subject in (catalogue, dataset):
        publisher = graph.value(subject, DCT.publisher)
        assert str(graph.value(publisher, FOAF.name)) == "Fablabs de Bruxelles asbl"
        assert graph.value(subject, DCT.license) == URIRef(LICENSE)
        (issued,) = _literals([graph.value(subject, DCT.issued)])
        (modified,) = _literals([graph.value(subject, DCT.modified)])
        assert issued.datatype == modified.datatype == XSD.date
        assert issued.toPython() == NOW.date()
    for distribution in distributions:
        assert graph.value(distribution, DCAT.accessURL) is not None
        assert graph.value(distribution, DCT.license) == URIRef(LICENSE)
    titles = {t.language for t in _literals(graph.objects(dataset, DCT.title))}
    assert titles == {"en", "fr", "nl"}


def test_a_catalogue_needs_its_publisher() -> None:
    from fabdesk.errors import ConfigError

    with pytest.raises(ConfigError, match="opendata_publisher"):
        make_publisher(" ", "")
