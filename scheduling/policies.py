"""Booking policies per machine or per category, and maintenance windows, set by a manager.

A policy row holds every field of `BookingRules`; setting a few fields starts from the rules in
force (the machine's row, else its category's, else the settings'), so the rest stays as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlmodel import Session, col, select

from fabdesk.booking_rules import BookingRules
from fabdesk.errors import InvalidValue
from fabdesk.models import BookingPolicy, MaintenanceWindow, Site, id_of
from fabdesk.settings import SchedulerSettings
from inventory.lookups import get_category, get_item
from scheduling.times import Fold, local_instant

__all__ = ["add_maintenance", "clear_policy", "maintenance_of", "rules_in_force", "set_policy"]


def _row(session: Session, *, asset_tag: str | None, category: str | None) -> BookingPolicy | None:
    if (asset_tag is None) == (category is None):
        raise InvalidValue("Name a machine or a category, not both.", error_code="usage")
    if asset_tag is not None:
        where = BookingPolicy.equipment_id == id_of(get_item(session, asset_tag))
    else:
        where = BookingPolicy.category_id == id_of(get_category(session, category or ""))
    return session.exec(select(BookingPolicy).where(where)).first()


def _rules_of(row: BookingPolicy) -> BookingRules:
    return BookingRules.model_validate(row.model_dump(include=set(BookingRules.model_fields)))


def rules_in_force(
    session: Session,
    settings: SchedulerSettings,
    *,
    asset_tag: str | None = None,
    category: str | None = None,
) -> tuple[BookingRules, str]:
    """The rules of a machine or category and where they come from (machine, category, settings)."""
    row = _row(session, asset_tag=asset_tag, category=category)
    if row is not None:
        return _rules_of(row), "machine" if asset_tag else "category"
    if asset_tag is not None:
        item = get_item(session, asset_tag)
        by_category = session.exec(
            select(BookingPolicy).where(BookingPolicy.category_id == item.category_id)
        ).first()
        if by_category is not None:
            return _rules_of(by_category), "category"
    return settings.booking, "settings"


def set_policy(
    session: Session,
    settings: SchedulerSettings,
    changes: Mapping[str, int],
    *,
    asset_tag: str | None = None,
    category: str | None = None,
) -> BookingRules:
    """Give a machine or a category its own rules: `changes` over the rules in force."""
    current, _ = rules_in_force(session, settings, asset_tag=asset_tag, category=category)
    unknown = set(changes) - set(BookingRules.model_fields)
    if unknown:
        raise InvalidValue(
            "No booking rule is named {name}.", name=sorted(unknown)[0], error_code="policy"
        )
    try:
        rules = BookingRules.model_validate({**current.model_dump(), **changes})
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidValue(
            "Booking rule {name} is wrong: {reason}.",
            name=str(first["loc"][0]),
            reason=first["msg"],
            error_code="policy",
        ) from None
    row = _row(session, asset_tag=asset_tag, category=category)
    if row is None:
        row = BookingPolicy(
            equipment_id=id_of(get_item(session, asset_tag)) if asset_tag else None,
            category_id=id_of(get_category(session, category)) if category else None,
        )
    for name, value in rules.model_dump().items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return rules


def clear_policy(
    session: Session, *, asset_tag: str | None = None, category: str | None = None
) -> bool:
    """Drop a machine's or category's own rules (the next level applies again)."""
    row = _row(session, asset_tag=asset_tag, category=category)
    if row is not None:
        session.delete(row)
        session.flush()
    return row is not None


def add_maintenance(
    session: Session,
    asset_tag: str,
    starts: datetime,
    length: timedelta,
    *,
    reason: str,
    fold: Fold | None = None,
) -> MaintenanceWindow:
    """Keep a machine from being booked for `length` (real time) from `starts`, a wall-clock
    time of its site (or an aware instant)."""
    item = get_item(session, asset_tag)
    site = session.get(Site, item.site_id)
    assert site is not None  # a foreign key
    starts_at = local_instant(starts, site.timezone, fold)
    if length <= timedelta(0):
        raise InvalidValue(
            "A maintenance window must end after it starts.", error_code="invalid_time_range"
        )
    window = MaintenanceWindow(
        equipment_id=id_of(item),
        starts_at=starts_at,
        ends_at=starts_at + length,
        reason=reason.strip()[:160],
    )
    session.add(window)
    session.flush()
    return window


def maintenance_of(session: Session, asset_tag: str, *, since: datetime) -> list[MaintenanceWindow]:
    """A machine's maintenance windows that end after `since`."""
    item = get_item(session, asset_tag)
    return list(
        session.exec(
            select(MaintenanceWindow)
            .where(
                MaintenanceWindow.equipment_id == id_of(item),
                col(MaintenanceWindow.ends_at) > since,
            )
            .order_by(col(MaintenanceWindow.starts_at))
        )
    )
