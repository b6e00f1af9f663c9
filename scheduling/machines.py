"""A machine as the booking rules see it: found by its asset tag, loaded with its site, its
category's training and the booking policy in force (its own, else its category's, else the
settings')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from fabdesk.booking_rules import BookingRules
from fabdesk.errors import Localized, NotFound
from fabdesk.models import Equipment, EquipmentStatus
from fabdesk.settings import SchedulerSettings
from scheduling._sql import fetch
from scheduling.rules import Policy

__all__ = ["Machine", "find_machine", "load_machine", "policy_for"]


@dataclass(frozen=True)
class Machine:
    """What the rules need of one machine, with the booking policy in force for it."""

    id: int
    name: str
    bookable: bool
    status: EquipmentStatus
    category_id: int
    category_name: Localized
    needs_training: bool
    training_category_id: int
    """The category whose training the machine needs: the cadastre's `training_category_code`,
    else its own category."""
    training_name: Localized
    lapse_after_days: int | None
    """The training category's "lapse after N days without use"."""
    site_id: int
    site_name: str
    timezone: str
    policy: Policy


def find_machine(session: Session, asset_tag: str) -> int:
    """The id of the machine with this asset tag (as printed on its label)."""
    found = session.exec(
        select(Equipment.id).where(Equipment.asset_tag == asset_tag.strip().upper())
    ).first()
    if found is None:
        raise NotFound(
            "No machine with asset tag {tag}.", tag=asset_tag, error_code="machine_not_found"
        )
    return found


_POLICY_FIELDS = tuple(BookingRules.model_fields)
_POLICY_COLUMNS = ",\n    ".join(f"COALESCE(pm.{name}, pc.{name})" for name in _POLICY_FIELDS)
_MACHINE_SQL = f"""
SELECT e.id, e.name, e.bookable, e.status, e.category_id, c.name_en,
    COALESCE(tc.needs_training, c.needs_training), COALESCE(tc.id, c.id),
    COALESCE(tc.name_en, c.name_en),
    e.site_id, s.name, s.timezone,
    c.name_fr, c.name_nl, COALESCE(tc.name_fr, c.name_fr), COALESCE(tc.name_nl, c.name_nl),
    CASE WHEN tc.id IS NULL THEN c.lapse_after_days ELSE tc.lapse_after_days END,
    {_POLICY_COLUMNS}
FROM equipment e
JOIN equipment_categories c ON c.id = e.category_id
LEFT JOIN equipment_categories tc ON tc.code = e.training_category_code
JOIN sites s ON s.id = e.site_id
LEFT JOIN booking_policies pm ON pm.equipment_id = e.id
LEFT JOIN booking_policies pc ON pc.category_id = e.category_id
WHERE e.id = :equipment_id
"""


def load_machine(session: Session, equipment_id: int, settings: SchedulerSettings) -> Machine:
    """The machine and its policy: its own row, else its category's, else the settings'."""
    rows = fetch(session, _MACHINE_SQL, equipment_id=equipment_id)
    if not rows:
        raise NotFound("No machine with id {equipment_id}.", equipment_id=equipment_id)
    row = rows[0]
    values = row[17:]
    source = (
        settings.booking
        if values[0] is None
        else BookingRules.model_construct(**dict(zip(_POLICY_FIELDS, values, strict=True)))
    )
    policy = _policy(source)
    return Machine(
        id=row[0],
        name=row[1],
        bookable=bool(row[2]),
        status=EquipmentStatus(row[3]),
        category_id=row[4],
        category_name=Localized(en=row[5], fr=row[12], nl=row[13]),
        needs_training=bool(row[6]),
        training_category_id=row[7],
        training_name=Localized(en=row[8], fr=row[14], nl=row[15]),
        lapse_after_days=row[16],
        site_id=row[9],
        site_name=row[10],
        timezone=row[11],
        policy=policy,
    )


def policy_for(session: Session, equipment_id: int, settings: SchedulerSettings) -> Policy:
    """The booking policy in force for a machine."""
    return load_machine(session, equipment_id, settings).policy


def _policy(source: BookingRules) -> Policy:
    return Policy(
        buffer=timedelta(minutes=source.buffer_minutes),
        min_length=timedelta(minutes=source.min_minutes),
        max_length=timedelta(minutes=source.max_minutes),
        max_days_ahead=source.max_days_ahead,
        check_in_before=timedelta(minutes=source.check_in_before_minutes),
        check_in_after=timedelta(minutes=source.check_in_after_minutes),
        cancel_cutoff=timedelta(minutes=source.cancel_cutoff_minutes),
        max_hours_per_week=source.max_hours_per_week,
        max_future_bookings=source.max_future_bookings,
    )
