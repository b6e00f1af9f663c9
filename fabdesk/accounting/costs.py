"""A machine's yearly costs (depreciation, maintenance, consumables) for the cost-price report."""

from __future__ import annotations

from sqlmodel import Session, col, select

from fabdesk.errors import InvalidValue, NotFound
from fabdesk.models import Equipment, EquipmentCost

__all__ = ["equipment_costs", "set_equipment_cost"]


def set_equipment_cost(
    session: Session,
    *,
    equipment_id: int,
    year: int,
    depreciation_cents: int | None = None,
    maintenance_cents: int = 0,
    consumables_cents: int = 0,
) -> EquipmentCost:
    """Enter (or replace) a machine's costs of a year, in cents; `cost_report` divides them by
    the hours used. Depreciation not given: straight line from the cadastre (acquisition cost /
    expected life, rounded down to the cent), else 0."""
    if not 2000 <= year <= 2100:
        raise InvalidValue("{year} is not a year.", year=year, error_code="year")
    machine = session.get(Equipment, equipment_id)
    if machine is None:
        raise NotFound(
            "No machine has the id {id}.", id=equipment_id, error_code="machine_not_found"
        )
    if depreciation_cents is None:
        depreciation_cents = (
            machine.acquisition_cost_cents // machine.expected_life_years
            if machine.acquisition_cost_cents and machine.expected_life_years
            else 0
        )
    if min(depreciation_cents, maintenance_cents, consumables_cents) < 0:
        raise InvalidValue("Costs cannot be below zero.", error_code="amount")
    cost = session.get(EquipmentCost, (equipment_id, year)) or EquipmentCost(
        equipment_id=equipment_id, year=year
    )
    cost.depreciation_cents = depreciation_cents
    cost.maintenance_cents = maintenance_cents
    cost.consumables_cents = consumables_cents
    session.add(cost)
    session.flush()
    return cost


def equipment_costs(session: Session, year: int) -> list[tuple[Equipment, EquipmentCost]]:
    """The machines with costs entered for a year, by asset tag."""
    rows = session.exec(
        select(Equipment, EquipmentCost)
        .join(EquipmentCost, col(EquipmentCost.equipment_id) == col(Equipment.id))
        .where(EquipmentCost.year == year)
        .order_by(col(Equipment.asset_tag))
    ).all()
    return [(item, cost) for item, cost in rows]
