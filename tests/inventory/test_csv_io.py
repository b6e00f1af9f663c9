"""Import and export of the whole register: round trips, and all-or-nothing imports."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from fabdesk.db import make_engine
from fabdesk.errors import ImportRejected
from fabdesk.models import (
    Equipment,
    EquipmentCategory,
    EquipmentEvent,
    EquipmentEventKind,
    EquipmentStatus,
    Investor,
    Site,
)
from fabdesk.settings import DatabaseSettings
from inventory.csv_io import export_csv, export_json, import_csv, import_json
from inventory.investors import ShareSpec, add_investor, set_shares
from inventory.lookups import get_item
from inventory.register import NewItem, add_item, change_status, edit_item, history
from inventory.register_import import RowProblem
from inventory.spreadsheet import COLUMNS
from tests.inventory.conftest import ACTOR, NOW, TODAY, make_manager, tag

LASER = tag("LAB1", 1)
DRILLS = tag("LAB1", 3)


def _dress_up(session: Session) -> None:
    """Give the small register every kind of value: shares, loans, notes with commas, links."""
    set_shares(
        session,
        LASER,
        [ShareSpec("REGION", 6000), ShareSpec("CITY", 4000, 50)],
        actor=ACTOR,
        now=NOW,
    )
    edit_item(
        session,
        LASER,
        {
            "notes": 'Lens "B", cleaned weekly;\nsecond line',
            "manual_urls": ["https://example.org/a.pdf", "https://example.org/b.pdf"],
            "maintenance_every_hours": 250,
            "training_category_code": "fdm",
            "rate_cents_per_hour": 1800,
        },
        actor=ACTOR,
        now=NOW,
    )
    change_status(
        session,
        DRILLS,
        EquipmentStatus.LENT_OUT,
        reason="r",
        actor=ACTOR,
        now=NOW,
        lent_to="École, Anderlecht",
        lent_until=TODAY + timedelta(days=5),
    )


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _empty_world(session: Session) -> None:
    """Delete the items but keep sites, categories and investors: a fresh register."""
    for item in session.exec(select(Equipment)):
        session.delete(item)
    session.flush()


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_export_then_import_gives_back_the_same_register(
    world: Session, manager: int, kind: str
) -> None:
    _dress_up(world)
    export = export_csv if kind == "csv" else export_json
    text = export(world)
    before = [(e.kind, e.field, e.new_value) for e in history(world, LASER)]
    _empty_world(world)
    importer = import_csv if kind == "csv" else import_json
    later = NOW + timedelta(hours=1)
    plan = importer(world, text, manager_id=manager, now=later, source=f"register.{kind}")
    assert len(plan.added) == 4
    assert _without_history(export(world)) == _without_history(text)
    item = get_item(world, LASER)
    assert item.notes == 'Lens "B", cleaned weekly;\nsecond line'
    imported = (EquipmentEventKind.CREATED, "", LASER)
    # CSV carries no history; JSON brings it back, before the import's own event.
    after = [(e.kind, e.field, e.new_value) for e in history(world, LASER)]
    assert after == ([imported] if kind == "csv" else [*before, imported])
    assert history(world, LASER)[-1].actor_id == manager


def _without_history(text: str) -> str:
    if not text.startswith("{"):
        return text
    document = json.loads(text)
    for item in document["items"]:
        item.pop("history")
    return json.dumps(document)


def test_json_import_brings_its_investors(world: Session, manager: int) -> None:
    _dress_up(world)
    document = json.loads(export_json(world))
    document["investors"].append({"code": "SCHOOL", "name": "A school", "enterprise_number": None})
    document["items"][0]["shares"] = [
        {"investor": "SCHOOL", "basis_points": 10000, "usage_hours_per_year": 100}
    ]
    _empty_world(world)
    import_json(world, json.dumps(document), manager_id=manager, now=NOW)
    assert world.exec(select(Investor.name).where(Investor.code == "SCHOOL")).one() == "A school"
    assert "SCHOOL:100:100" in export_csv(world)


def _rejected(session: Session, text: str, manager: int) -> list[tuple[int, str]]:
    before = (_count(session, Equipment), _count(session, EquipmentEvent))
    with pytest.raises(ImportRejected) as caught:
        import_csv(session, text, manager_id=manager, now=NOW, source="bad.csv")
    assert (_count(session, Equipment), _count(session, EquipmentEvent)) == before
    problems: list[RowProblem] = caught.value.params["problems"]
    assert "nothing was imported" in str(caught.value)
    return [(p.line, p.field) for p in problems]


def test_a_bad_row_rejects_the_whole_file_with_its_line_and_field(
    world: Session, manager: int
) -> None:
    good = [tag("NEW", n) for n in range(1, 12)]
    lines = [
        "asset_tag,site,category,name,acquired_on,shares,status,lent_to,lent_until",
        f"{good[0]},lab1,laser,Fine,2024-01-01,REGION:10000,,,",
        f"{good[1]},nowhere,laser,Unknown site,,,,,",
        f"{LASER},lab1,laser,A tag in the register updates its item,,,,,",
        f"{good[2]},lab1,laser,First of two,,,,,",
        f"{good[2]},lab1,laser,Second of two,,,,,",
        f"{good[3]},lab1,laser,Bad date,2024-02-30,,,,",
        f"{good[4]},lab1,laser,Shares at 90 %,,REGION:50;CITY:40,,,",
        f"{good[5]},lab1,laser,Unknown investor,,NOBODY:10000,,,",
        f"{good[6][:-1]}?,lab1,laser,Mistyped tag,,,,,",
        f"{good[7]},lab1,boat,Unknown category,,,,,",
        f"{good[8]},lab1,laser,,,,,,",
        f"{good[9]},lab1,laser,Lent to nobody,,,lent_out,,",
        f"{good[10]},lab1,laser,Bad status,,,broken,,",
    ]
    assert _rejected(world, "\n".join(lines) + "\n", manager) == [
        (3, "site"),
        (6, "asset_tag"),
        (7, "acquired_on"),
        (8, "shares"),
        (9, "shares"),
        (10, "asset_tag"),
        (11, "category"),
        (12, "name"),
        (13, "lent_to"),
        (13, "lent_until"),
        (14, "status"),
    ]


def test_bad_columns_are_refused_before_any_row(world: Session, manager: int) -> None:
    assert _rejected(world, "asset_tag,site,name,colour\n", manager) == [(1, "colour")]


def test_json_problems_name_the_item_and_field(world: Session, manager: int) -> None:
    document = {
        "format": "fabdesk-register",
        "version": 1,
        "investors": [],
        "items": [
            {"asset_tag": tag("NEW", 1), "site": "lab1", "category": "laser", "name": "ok"},
            {
                "asset_tag": tag("NEW", 2),
                "site": "lab1",
                "category": "laser",
                "name": "x",
                "acquired_on": "yesterday",
            },
        ],
    }
    with pytest.raises(ImportRejected) as caught:
        import_json(world, json.dumps(document), manager_id=manager, now=NOW)
    assert [(p.line, p.field) for p in caught.value.params["problems"]] == [(2, "acquired_on")]
    with pytest.raises(ImportRejected):
        import_json(world, "{not json", manager_id=manager, now=NOW)
    with pytest.raises(ImportRejected):
        import_json(world, json.dumps({"items": []}), manager_id=manager, now=NOW)
    assert get_item(world, LASER).acquired_on == date(2022, 1, 10)


def test_export_has_the_documented_columns(world: Session) -> None:
    header = export_csv(world).splitlines()[0]
    assert header.split(",") == COLUMNS
    assert len(export_csv(world, site_code="lab2").splitlines()) == 2


def test_new_investors_are_known_to_a_later_import(world: Session, manager: int) -> None:
    add_investor(world, "SCHOOL", "School")
    text = f"asset_tag,site,category,name,shares\n{tag('NEW', 1)},lab1,fdm,P,SCHOOL:10000:40\n"
    assert len(import_csv(world, text, manager_id=manager, now=NOW).added) == 1


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from([",", '"', "\n", ";"])
    ),
    max_size=30,
)


@settings(
    max_examples=25,
    deadline=None,
    # Each example runs in its own transaction, rolled back at its end: the database is shared.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=_TEXT.filter(lambda t: t.strip() != "" and len(t.strip()) <= 160),
    make=_TEXT,
    notes=_TEXT,
    location=_TEXT,
    cost=st.none() | st.integers(min_value=0, max_value=10**9),
)
def test_any_text_survives_export_and_import(
    sqlite_url: str, name: str, make: str, notes: str, location: str, cost: int | None
) -> None:
    engine = make_engine(DatabaseSettings(url=sqlite_url))
    try:
        with Session(engine) as session:
            session.add_all(
                [
                    Site(code="lab1", name="Lab One"),
                    EquipmentCategory(code="fdm", name_en="3D", name_fr="3D", name_nl="3D"),
                ]
            )
            session.flush()
            manager = make_manager(session)
            add_item(
                session,
                NewItem(
                    "lab1",
                    "fdm",
                    name,
                    make=make,
                    notes=notes,
                    location=location,
                    acquisition_cost_cents=cost,
                ),
                actor=ACTOR,
                now=NOW,
            )
            for kind, export, importer in (
                ("csv", export_csv, import_csv),
                ("json", export_json, import_json),
            ):
                text = export(session)
                _empty_world(session)
                plan = importer(session, text, manager_id=manager, now=NOW)
                assert len(plan.added) == 1, kind
                assert _without_history(export(session)) == _without_history(text), kind
            item = session.exec(select(Equipment)).one()
            assert (item.name, item.make, item.acquisition_cost_cents) == (
                name.strip(),
                make.strip(),
                cost,
            )
            session.rollback()
    finally:
        engine.dispose()
