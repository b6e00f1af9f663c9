"""Open data: the cadastre per site and network-wide, without a trace of any person."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlmodel import Session, select

from fabdesk.models import EquipmentStatus, Maker
from inventory.makers import NewMaker, register_maker
from inventory.opendata import open_items, opendata_csv, opendata_jsonld
from inventory.register import change_status, edit_item, list_items
from inventory.seed import seed
from tests.inventory.conftest import ACTOR, NOW, TODAY

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
        actor=maker.name,
        now=NOW,
        lent_to=LENDER,
        lent_until=TODAY + timedelta(days=10),
    )
    edit_item(
        session,
        noted.asset_tag,
        {"notes": f"Ask {maker.name} ({maker.email}) for the key", "serial_number": "SN-SECRET-1"},
        actor=maker.name,
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
    assert document["@context"] == "https://schema.org"
    assert document["@type"] == "Dataset"
    kinds = [part["@type"] for part in document["hasPart"]]
    assert kinds.count("Place") == 3
    assert kinds.count("IndividualProduct") == len(table)
    product = next(p for p in document["hasPart"] if p.get("identifier") == lent.asset_tag)
    assert product["manufacturer"] == {"@type": "Organization", "name": "Trotec"}
    assert product["isRelatedTo"] == {"@id": "https://fab.example.org/sites/cityfab1"}


def test_retired_items_are_not_published(world: Session) -> None:
    before = len(open_items(world))
    tag = open_items(world)[0].asset_tag
    change_status(world, tag, EquipmentStatus.RETIRED, reason="gone", actor=ACTOR, now=NOW)
    assert len(open_items(world)) == before - 1
