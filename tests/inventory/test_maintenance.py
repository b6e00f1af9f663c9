"""Maintenance plans: due dates from the plan, hours of use, recording resets, the due list."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from fabdesk.errors import InvalidValue
from fabdesk.models import EquipmentStatus, UsageSession, id_of
from inventory.lookups import get_item
from inventory.maintenance import (
    maintenance_due,
    maintenance_records,
    maintenance_state,
    record_maintenance,
)
from inventory.register import change_status, edit_item, history
from tests.inventory.conftest import ACTOR, NOW, TODAY, tag

LASER = tag("LAB1", 1)
PRINTER = tag("LAB1", 2)
DRILLS = tag("LAB1", 3)


def _due(session: Session, **kwargs: object) -> dict[str, bool]:
    return {s.item.asset_tag: s.overdue for s in maintenance_due(session, TODAY, **kwargs)}  # type: ignore[arg-type]


def test_calendar_plan_is_due_from_the_last_maintenance(world: Session) -> None:
    edit_item(world, LASER, {"maintenance_every_days": 90}, actor=ACTOR, now=NOW)
    # Acquired 2022-01-10 and never maintained: long overdue.
    assert _due(world) == {LASER: True}
    record_maintenance(world, LASER, done_on=TODAY - timedelta(days=80), actor=ACTOR, now=NOW)
    assert _due(world) == {}
    assert _due(world, within_days=10) == {LASER: False}
    state = maintenance_due(world, TODAY, within_days=10)[0]
    assert state.due_on == TODAY + timedelta(days=10)
    assert get_item(world, LASER).last_maintenance_on == TODAY - timedelta(days=80)
    # An older record does not move the plan back.
    record_maintenance(world, LASER, done_on=TODAY - timedelta(days=200), actor=ACTOR, now=NOW)
    assert get_item(world, LASER).last_maintenance_on == TODAY - timedelta(days=80)
    assert len(maintenance_records(world, LASER)) == 2
    assert [e.field for e in history(world, LASER)].count("last_maintenance_on") == 1


def test_usage_plan_counts_hours_since_the_last_maintenance(world: Session) -> None:
    edit_item(world, PRINTER, {"maintenance_every_hours": 10}, actor=ACTOR, now=NOW)
    item = get_item(world, PRINTER)

    def use(hours: float) -> None:
        world.add(
            UsageSession(uuid=uuid.uuid4(), equipment_id=id_of(item), active_seconds=hours * 3600)
        )
        world.flush()

    use(6)
    assert _due(world) == {}
    use(4)
    assert _due(world) == {PRINTER: True}
    assert maintenance_due(world, TODAY)[0].hours_since == pytest.approx(10)
    record_maintenance(world, PRINTER, done_on=TODAY, actor=ACTOR, now=NOW, notes="new nozzle")
    assert _due(world) == {}
    use(9.5)
    assert _due(world) == {}
    use(0.5)
    assert _due(world) == {PRINTER: True}


def test_retired_items_and_other_sites_are_left_out(world: Session) -> None:
    edit_item(world, DRILLS, {"maintenance_every_days": 30}, actor=ACTOR, now=NOW)
    assert _due(world) == {DRILLS: True}
    assert _due(world, site_code="lab2") == {}
    change_status(world, DRILLS, EquipmentStatus.RETIRED, reason="gone", actor=ACTOR, now=NOW)
    assert _due(world) == {}


def test_maintenance_in_the_future_is_refused(world: Session) -> None:
    with pytest.raises(InvalidValue):
        record_maintenance(world, LASER, done_on=date(2030, 1, 1), actor=ACTOR, now=NOW)


def test_a_record_keeps_cost_supplier_and_notes(world: Session) -> None:
    record_maintenance(
        world,
        LASER,
        done_on=TODAY,
        actor=ACTOR,
        now=NOW,
        notes="Mirrors cleaned",
        cost_cents=12050,
        supplier="Trotec Belgium",
    )
    (record,) = maintenance_records(world, LASER)
    assert (record.cost_cents, record.supplier, record.notes) == (
        12050,
        "Trotec Belgium",
        "Mirrors cleaned",
    )
    with pytest.raises(InvalidValue):
        record_maintenance(world, LASER, done_on=TODAY, actor=ACTOR, now=NOW, cost_cents=-1)


def test_the_state_of_one_item_gives_next_due_date_and_hours_since(world: Session) -> None:
    edit_item(world, LASER, {"maintenance_every_days": 30}, actor=ACTOR, now=NOW)
    record_maintenance(world, LASER, done_on=TODAY - timedelta(days=10), actor=ACTOR, now=NOW)
    world.add(
        UsageSession(
            uuid=uuid.uuid4(), equipment_id=id_of(get_item(world, LASER)), active_seconds=5400
        )
    )
    world.flush()
    state = maintenance_state(world, LASER, TODAY)
    assert (state.due_on, state.hours_since, state.overdue) == (
        TODAY + timedelta(days=20),
        1.5,
        False,
    )
