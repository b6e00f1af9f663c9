"""Maintenance plans: when each item is next due, recording what was done, and what is due now.

A plan is every N days (from the last maintenance, else the acquisition date) and/or every N hours
of active use (summed from the item's usage sessions since the last maintenance).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from fabdesk.actors import Author, authorise
from fabdesk.errors import InvalidValue
from fabdesk.models import (
    Equipment,
    EquipmentEventKind,
    EquipmentStatus,
    MaintenanceRecord,
    Site,
    UsageSession,
    id_of,
)
from inventory.lookups import get_item, get_site
from inventory.register import record_event


def usage_hours(session: Session, equipment_ids: Iterable[int]) -> dict[int, float]:
    """Total hours of active use of each item, from its usage sessions."""
    ids = list(equipment_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(UsageSession.equipment_id, func.coalesce(func.sum(UsageSession.active_seconds), 0))
        .where(col(UsageSession.equipment_id).in_(ids))
        .group_by(col(UsageSession.equipment_id))
    ).all()
    totals = {equipment_id: float(seconds) / 3600 for equipment_id, seconds in rows}
    return {i: totals.get(i, 0.0) for i in ids}


def _last_records(session: Session, equipment_ids: list[int]) -> dict[int, MaintenanceRecord]:
    if not equipment_ids:
        return {}
    records = session.exec(
        select(MaintenanceRecord)
        .where(col(MaintenanceRecord.equipment_id).in_(equipment_ids))
        .order_by(col(MaintenanceRecord.done_on), col(MaintenanceRecord.id))
    ).all()
    return {r.equipment_id: r for r in records}  # the latest one wins


def record_maintenance(
    session: Session,
    asset_tag: str,
    *,
    done_on: date,
    actor: Author,
    now: datetime,
    notes: str = "",
    cost_cents: int | None = None,
    supplier: str = "",
) -> MaintenanceRecord:
    """Record a maintenance done on `done_on` (what it cost, who did it): the item's plan
    restarts from it."""
    if cost_cents is not None and cost_cents < 0:
        raise InvalidValue("A maintenance cannot cost less than nothing.", error_code="field_value")
    if len(supplier.strip()) > 160:
        raise InvalidValue(
            "supplier: is longer than {limit} characters.", limit=160, error_code="field_value"
        )
    if done_on > now.date():
        raise InvalidValue(
            "A maintenance cannot be recorded on {day}, in the future.",
            day=done_on.isoformat(),
            error_code="maintenance_in_future",
        )
    item = get_item(session, asset_tag)
    actor_id = authorise(
        session, actor, "maintenance_recorded", subject=item.asset_tag,
        site_ids=(item.site_id,), now=now,
    )  # fmt: skip
    hours = usage_hours(session, [id_of(item)])[id_of(item)]
    record = MaintenanceRecord(
        equipment_id=id_of(item),
        done_on=done_on,
        usage_hours=hours,
        actor_id=actor_id,
        notes=notes.strip(),
        recorded_at=now,
        cost_cents=cost_cents,
        supplier=supplier.strip(),
    )
    session.add(record)
    if item.last_maintenance_on is None or done_on >= item.last_maintenance_on:
        record_event(
            session,
            item,
            EquipmentEventKind.MAINTENANCE,
            actor_id=actor_id,
            now=now,
            field="last_maintenance_on",
            old=item.last_maintenance_on,
            new=done_on,
            reason=notes.strip() or "maintenance done",
        )
        item.last_maintenance_on = done_on
    session.flush()
    return record


def maintenance_records(session: Session, asset_tag: str) -> list[MaintenanceRecord]:
    item = get_item(session, asset_tag)
    return list(
        session.exec(
            select(MaintenanceRecord)
            .where(MaintenanceRecord.equipment_id == id_of(item))
            .order_by(col(MaintenanceRecord.done_on), col(MaintenanceRecord.id))
        )
    )


@dataclass(frozen=True)
class MaintenancePlanState:
    """Where an item stands against its maintenance plan."""

    item: Equipment
    site_code: str
    due_on: date | None
    """Next calendar due date (None without a calendar plan, or with no date to count from)."""
    hours_since: float
    """Hours of active use since the last maintenance."""
    hours_limit: int | None
    due: bool
    """Due by now (or within the look-ahead asked for)."""
    overdue: bool
    """Past its due date, or over its hours."""


def plan_state(
    item: Equipment,
    *,
    site_code: str,
    total_hours: float,
    last: MaintenanceRecord | None,
    today: date,
    within_days: int = 0,
) -> MaintenancePlanState:
    """The plan state of one item (pure: everything it needs is given)."""
    start = item.last_maintenance_on or item.acquired_on
    due_on = None
    if item.maintenance_every_days and start is not None:
        due_on = start + timedelta(days=item.maintenance_every_days)
    hours_since = max(0.0, total_hours - (last.usage_hours if last else 0.0))
    over_hours = bool(item.maintenance_every_hours) and hours_since >= (
        item.maintenance_every_hours or 0
    )
    never_done = bool(item.maintenance_every_days) and start is None
    due = (
        over_hours
        or never_done
        or (due_on is not None and due_on <= today + timedelta(within_days))
    )
    overdue = over_hours or never_done or (due_on is not None and due_on < today)
    return MaintenancePlanState(
        item=item,
        site_code=site_code,
        due_on=due_on,
        hours_since=hours_since,
        hours_limit=item.maintenance_every_hours,
        due=due,
        overdue=overdue,
    )


def maintenance_state(session: Session, asset_tag: str, today: date) -> MaintenancePlanState:
    """Where one item stands: its next due date and its hours of use since the last
    maintenance (whether or not it has a plan)."""
    item = get_item(session, asset_tag)
    site = session.get(Site, item.site_id)
    return plan_state(
        item,
        site_code=site.code if site else "",
        total_hours=usage_hours(session, [id_of(item)])[id_of(item)],
        last=_last_records(session, [id_of(item)]).get(id_of(item)),
        today=today,
    )


def maintenance_due(
    session: Session,
    today: date,
    *,
    within_days: int = 0,
    site_code: str | None = None,
) -> list[MaintenancePlanState]:
    """Items with a plan that are due (or will be within `within_days`) or overdue, not retired;
    soonest first. The scheduler alerts on these."""
    query = (
        select(Equipment, Site.code)
        .join(Site, col(Site.id) == col(Equipment.site_id))
        .where(Equipment.status != EquipmentStatus.RETIRED)
        .where(
            col(Equipment.maintenance_every_days).is_not(None)
            | col(Equipment.maintenance_every_hours).is_not(None)
        )
    )
    if site_code is not None:
        query = query.where(Site.id == id_of(get_site(session, site_code)))
    rows = session.exec(query).all()
    ids = [id_of(item) for item, _ in rows]
    hours = usage_hours(session, ids)
    last = _last_records(session, ids)
    states = [
        plan_state(
            item,
            site_code=code,
            total_hours=hours[id_of(item)],
            last=last.get(id_of(item)),
            today=today,
            within_days=within_days,
        )
        for item, code in rows
    ]
    due = [s for s in states if s.due]
    return sorted(due, key=lambda s: (s.due_on or date.min, s.item.asset_tag))
