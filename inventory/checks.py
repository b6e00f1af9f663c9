"""Machines checked after each use: a used `check_after_use` machine goes to `to_check`, and only a
manager (of its site, or of the network) or a trainer of its training category releases it.

Both changes are status changes of the cadastre, so the item's history keeps them (who, when,
why). Refusal codes: `not_to_check`, `not_allowed_to_release` (and `item_not_found`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.actors import Author, authorise
from fabdesk.errors import RuleViolation, Violation
from fabdesk.models import (
    Equipment,
    EquipmentEventKind,
    EquipmentStatus,
    ManagerCredential,
    TrainerRight,
    id_of,
)
from inventory.lookups import get_item, training_category
from inventory.register import change_status, record_event

__all__ = ["mark_used", "release_check", "set_check_after_use"]

log = logging.getLogger(__name__)


def set_check_after_use(
    session: Session, asset_tag: str, enabled: bool, *, actor: Author, now: datetime
) -> Equipment:
    """Make a machine need (or no longer need) a check after each use (a manager of its site);
    kept in its history."""
    item = get_item(session, asset_tag)
    subject = f"{item.asset_tag} {'on' if enabled else 'off'}"
    actor_id = authorise(
        session, actor, "check_after_use", subject=subject, site_ids=(item.site_id,), now=now
    )
    if item.check_after_use != enabled:
        record_event(
            session,
            item,
            EquipmentEventKind.EDITED,
            actor_id=actor_id,
            now=now,
            field="check_after_use",
            old=item.check_after_use,
            new=enabled,
        )
        item.check_after_use = enabled
        session.add(item)
        session.flush()
    return item


def mark_used(
    session: Session, equipment_ids: Iterable[int], *, cause: str, now: datetime
) -> list[str]:
    """Send every in-service `check_after_use` machine among `equipment_ids` to `to_check`.

    `cause` says which use (kept in the history). Returns the asset tags sent now; a machine
    already waiting for its check (or out of order…) is left as it is.
    """
    ids = sorted(set(equipment_ids))
    if not ids:
        return []
    tags = session.exec(
        select(Equipment.asset_tag).where(
            col(Equipment.id).in_(ids),
            col(Equipment.check_after_use),
            Equipment.status == EquipmentStatus.IN_SERVICE,
        )
    ).all()
    for tag in tags:
        change_status(session, tag, EquipmentStatus.TO_CHECK, reason=cause, actor=None, now=now)
    return list(tags)


def release_check(
    session: Session, asset_tag: str, *, by_maker_id: int, now: datetime, note: str = ""
) -> Equipment:
    """A manager or trainer checked the machine after its use: it is back in service."""
    item = get_item(session, asset_tag)
    if item.status is not EquipmentStatus.TO_CHECK:
        raise RuleViolation(
            [
                Violation(
                    "not_to_check",
                    "{machine} is not waiting for a check ({status}).",
                    {"machine": item.name, "status": item.status.value},
                )
            ]
        )
    if not _may_release(session, item, by_maker_id):
        raise RuleViolation(
            [
                Violation(
                    "not_allowed_to_release",
                    "Only a manager of the lab or a trainer of {machine} may release it.",
                    {"machine": item.name},
                )
            ]
        )
    reason = "checked after use" + (f": {note.strip()}" if note.strip() else "")
    return change_status(
        session,
        item.asset_tag,
        EquipmentStatus.IN_SERVICE,
        reason=reason,
        actor=by_maker_id,
        now=now,
    )


def _may_release(session: Session, item: Equipment, maker_id: int) -> bool:
    manager = session.exec(
        select(ManagerCredential.maker_id).where(
            ManagerCredential.maker_id == maker_id,
            sa.or_(
                col(ManagerCredential.site_id).is_(None),
                col(ManagerCredential.site_id) == item.site_id,
            ),
        )
    ).first()
    if manager is not None:
        return True
    category = training_category(session, item)
    category_id = id_of(category) if category is not None else item.category_id
    trainer = session.exec(
        select(TrainerRight.id).where(
            TrainerRight.maker_id == maker_id, TrainerRight.category_id == category_id
        )
    ).first()
    return trainer is not None
