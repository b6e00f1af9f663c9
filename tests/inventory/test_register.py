"""The register: adding items, editing fields, moving, the lifecycle, and the history of it all."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from fabdesk.errors import Conflict, InvalidValue, NotFound, RuleViolation
from fabdesk.identifiers import parse_asset_tag
from fabdesk.models import EquipmentEventKind, EquipmentStatus
from inventory.csv_io import history_csv
from inventory.lookups import book_value_cents, get_item, list_items, training_category
from inventory.register import NewItem, add_item, change_status, edit_item, history, move_item
from tests.inventory.conftest import ACTOR, NOW, TODAY, tag

LASER = tag("LAB1", 1)
PRINTER = tag("LAB1", 2)
DRILLS = tag("LAB1", 3)


def test_items_get_checked_tags_of_their_site(world: Session) -> None:
    tags = [row.item.asset_tag for row in list_items(world)]
    assert tags == [LASER, PRINTER, DRILLS, tag("LAB2", 1)]
    for value in tags:
        assert parse_asset_tag(value) == value
    assert [r.item.name for r in list_items(world, site_code="lab2")] == ["Printer B"]
    assert [r.item.name for r in list_items(world, category_code="laser")] == ["Laser cutter"]


def test_a_mistyped_tag_is_caught_by_its_check_character(world: Session) -> None:
    wrong = LASER[:-1] + ("A" if LASER[-1] != "A" else "B")
    with pytest.raises(InvalidValue) as caught:
        get_item(world, wrong)
    assert caught.value.code == "asset_tag_check"
    assert get_item(world, LASER.lower()).name == "Laser cutter"


@pytest.mark.parametrize(
    ("new", "error", "code"),
    [
        (NewItem("lab1", "laser", "Twin", asset_tag=LASER), Conflict, "asset_tag_taken"),
        (NewItem("nowhere", "laser", "X"), NotFound, "site_not_found"),
        (NewItem("lab1", "boat", "X"), NotFound, "category_not_found"),
        (NewItem("lab1", "laser", "X", asset_tag="LAB1-1"), InvalidValue, "asset_tag_format"),
        (NewItem("lab1", "laser", " "), InvalidValue, "field_value"),
        (NewItem("lab1", "laser", "X", billing_unit_minutes=0), InvalidValue, "field_value"),
        (
            NewItem("lab1", "laser", "X", training_category_code="boat"),
            NotFound,
            "category_not_found",
        ),
        (NewItem("lab1", "laser", "X", manual_urls=("ftp://x",)), InvalidValue, "field_value"),
        (NewItem("lab1", "laser", "X" * 161), InvalidValue, "field_value"),
        (NewItem("lab1", "laser", "X", location="L" * 121), InvalidValue, "field_value"),
    ],
)
def test_bad_items_are_refused(
    world: Session, new: NewItem, error: type[Exception], code: str
) -> None:
    with pytest.raises(error) as caught:
        add_item(world, new, actor=ACTOR, now=NOW)
    if code:
        assert caught.value.code == code  # type: ignore[attr-defined]


def test_item_keeps_every_cadastre_field(world: Session) -> None:
    item = add_item(
        world,
        NewItem(
            "lab1",
            "fdm",
            "Prusa",
            make="Prusa",
            model="MK4",
            serial_number="SN1",
            acquired_on=date(2025, 1, 1),
            acquisition_cost_cents=120_000,
            expected_life_years=4,
            training_category_code="laser",
            bookable=False,
            rate_cents_per_hour=200,
            billing_unit_minutes=15,
            minimum_charge_cents=100,
            maintenance_every_days=60,
            maintenance_every_hours=400,
            notes="Nozzle 0.4",
            manual_urls=("https://example.org/mk4.pdf",),
        ),
        actor=ACTOR,
        now=NOW,
    )
    assert item.asset_tag == tag("LAB1", 4)
    assert (item.make, item.model, item.serial_number) == ("Prusa", "MK4", "SN1")
    assert item.manual_urls == "https://example.org/mk4.pdf"
    category = training_category(world, item)
    assert category is not None
    assert category.code == "laser"
    drills = get_item(world, DRILLS)
    assert training_category(world, drills) is None  # hand tools need no training
    # Straight line: half the life gone, half the value left.
    assert abs((book_value_cents(item, date(2027, 1, 1)) or 0) - 60_000) < 100
    assert book_value_cents(item, date(2035, 1, 1)) == 0
    assert book_value_cents(get_item(world, tag("LAB2", 1)), TODAY) is None


def test_edits_are_parsed_and_kept_one_event_per_field(world: Session) -> None:
    events = edit_item(
        world,
        LASER,
        {
            "model": "Speedy 360",
            "acquired_on": "2021-03-01",
            "maintenance_every_days": "90",
            "bookable": "no",
            "category": "fdm",
            "make": "Trotec",  # unchanged: no event
        },
        actor=ACTOR,
        now=NOW,
        reason="checked the invoice",
    )
    assert {(e.field, e.old_value, e.new_value) for e in events} == {
        ("model", "", "Speedy 360"),
        ("acquired_on", "2022-01-10", "2021-03-01"),
        ("maintenance_every_days", "", "90"),
        ("bookable", "yes", "no"),
        ("category", "laser", "fdm"),
    }
    item = get_item(world, LASER)
    assert item.acquired_on == date(2021, 3, 1)
    assert item.maintenance_every_days == 90
    assert item.bookable is False
    assert all(e.reason == "checked the invoice" and e.actor_id is None for e in events)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"status": "retired"}, "field_not_editable"),
        ({"site_id": 2}, "field_not_editable"),
        ({"acquired_on": "30/02/2024"}, "field_value"),  # 21/11/2026 is a date now; no 30 February
        ({"rate_cents_per_hour": "-5"}, "field_value"),
        ({"bookable": "perhaps"}, "field_value"),
        ({"name": ""}, "field_value"),
    ],
)
def test_bad_edits_are_refused(world: Session, changes: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        edit_item(world, LASER, changes, actor=ACTOR, now=NOW)
    assert caught.value.code == code


def test_moves_are_kept_with_their_reason(world: Session) -> None:
    move_item(
        world, PRINTER, site_code="lab2", location="Bureau", actor=ACTOR, now=NOW, reason="loan"
    )
    item = get_item(world, PRINTER)
    assert item.location == "Bureau"
    moves = [e for e in history(world, PRINTER) if e.kind == EquipmentEventKind.MOVED]
    assert [(e.field, e.old_value, e.new_value) for e in moves] == [
        ("site", "lab1", "lab2"),
        ("location", "Atelier", "Bureau"),
    ]
    with pytest.raises(Conflict):
        move_item(world, PRINTER, location="Bureau", actor=ACTOR, now=NOW, reason="again")
    with pytest.raises(InvalidValue):
        move_item(world, PRINTER, location="Cave", actor=ACTOR, now=NOW, reason=" ")


def test_lifecycle_lend_return_repair_retire(world: Session) -> None:
    later = NOW + timedelta(hours=1)
    change_status(
        world,
        DRILLS,
        EquipmentStatus.LENT_OUT,
        reason="school project",
        actor=ACTOR,
        now=NOW,
        lent_to="École 42",
        lent_until=TODAY + timedelta(days=7),
    )
    item = get_item(world, DRILLS)
    assert (item.status, item.lent_to) == (EquipmentStatus.LENT_OUT, "École 42")
    change_status(world, DRILLS, EquipmentStatus.IN_SERVICE, reason="back", actor=ACTOR, now=later)
    assert (item.status, item.lent_to, item.lent_until) == (EquipmentStatus.IN_SERVICE, None, None)
    change_status(
        world, DRILLS, EquipmentStatus.OUT_OF_ORDER, reason="broken", actor=ACTOR, now=later
    )
    change_status(
        world, DRILLS, EquipmentStatus.MAINTENANCE, reason="repair", actor=ACTOR, now=later
    )
    change_status(world, DRILLS, EquipmentStatus.RETIRED, reason="worn out", actor=ACTOR, now=later)
    statuses = [
        (e.old_value, e.new_value, e.reason) for e in history(world, DRILLS) if e.field == "status"
    ]
    assert statuses == [
        ("in_service", "lent_out", "school project"),
        ("lent_out", "in_service", "back"),
        ("in_service", "out_of_order", "broken"),
        ("out_of_order", "maintenance", "repair"),
        ("maintenance", "retired", "worn out"),
    ]
    with pytest.raises(RuleViolation) as caught:
        change_status(
            world, DRILLS, EquipmentStatus.IN_SERVICE, reason="oops", actor=ACTOR, now=later
        )
    assert caught.value.code == "item_retired"
    with pytest.raises(RuleViolation):
        move_item(world, DRILLS, location="Cave", actor=ACTOR, now=later, reason="storage")
    exported = history_csv(world, DRILLS).splitlines()
    assert exported[0].startswith("asset_tag,at,actor,kind,field")
    assert len(exported) == 1 + len(history(world, DRILLS))
    assert "worn out" in exported[-1]


@pytest.mark.parametrize(
    ("status", "lent_to", "until", "codes"),
    [
        (EquipmentStatus.LENT_OUT, None, None, ["lent_to_required", "lent_until_required"]),
        (EquipmentStatus.LENT_OUT, "A school", TODAY - timedelta(days=1), ["lent_until_past"]),
        (EquipmentStatus.OUT_OF_ORDER, "A school", None, ["lent_only"]),
    ],
)
def test_lending_needs_a_borrower_and_a_return_date(
    world: Session,
    status: EquipmentStatus,
    lent_to: str | None,
    until: date | None,
    codes: list[str],
) -> None:
    with pytest.raises(RuleViolation) as caught:
        change_status(
            world,
            LASER,
            status,
            reason="r",
            actor=ACTOR,
            now=NOW,
            lent_to=lent_to,
            lent_until=until,
        )
    assert [v.code for v in caught.value.violations] == codes


def test_status_changes_need_a_reason_and_a_change(world: Session) -> None:
    with pytest.raises(InvalidValue):
        change_status(world, LASER, EquipmentStatus.OUT_OF_ORDER, reason="", actor=ACTOR, now=NOW)
    with pytest.raises(Conflict):
        change_status(world, LASER, EquipmentStatus.IN_SERVICE, reason="x", actor=ACTOR, now=NOW)
