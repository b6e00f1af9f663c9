"""Trainings that lapse when unused: who is about to lose a certification for want of use.

A category with `lapse_after_days` = N: a certification of it is valid on a day only while the
maker used a machine of the category (a usage session of theirs), or was certified, within the N
days before (the booking rules check it in their one query: `training_lapsed`). This module lists
the certifications that are still valid today and lapse soon, for the managers' report and the
makers' warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from fabdesk.errors import Localized
from fabdesk.models import Certification, Equipment, EquipmentCategory, Maker, UsageSession, id_of

__all__ = ["Lapsing", "lapsing"]


@dataclass(frozen=True)
class Lapsing:
    maker_id: int
    member_number: str
    email: str
    category_code: str
    category: Localized
    last_active: date
    """The last day the maker used a machine of the category, or was certified."""
    lapses_on: date
    """The first day the certification is no longer valid, unless the maker uses it before."""


def lapsing(session: Session, *, today: date, within_days: int, timezone: str) -> list[Lapsing]:
    """Certifications valid today that lapse for want of use within `within_days`, soonest first."""
    training = aliased(EquipmentCategory)
    used_category = sa.func.coalesce(training.id, Equipment.category_id)
    last_use = (
        select(
            col(UsageSession.maker_id).label("maker_id"),
            used_category.label("category_id"),
            sa.func.max(UsageSession.started_at).label("last_use"),
        )
        .join(Equipment, col(Equipment.id) == UsageSession.equipment_id)
        .join(training, col(training.code) == Equipment.training_category_code, isouter=True)
        .where(col(UsageSession.maker_id).is_not(None))
        .group_by(col(UsageSession.maker_id), used_category)
        .subquery()
    )
    rows = session.exec(
        select(
            Maker,
            EquipmentCategory,
            sa.func.max(Certification.granted_on),
            sa.func.max(last_use.c.last_use),
        )
        .join(Maker, col(Maker.id) == Certification.maker_id)
        .join(EquipmentCategory, col(EquipmentCategory.id) == Certification.category_id)
        .join(
            last_use,
            sa.and_(
                last_use.c.maker_id == Certification.maker_id,
                last_use.c.category_id == Certification.category_id,
            ),
            isouter=True,
        )
        .where(
            col(EquipmentCategory.lapse_after_days).is_not(None),
            col(EquipmentCategory.needs_training),
            col(Certification.granted_on) <= today,
            sa.or_(col(Certification.expires_on).is_(None), col(Certification.expires_on) >= today),
        )
        # PostgreSQL allows the other columns: they depend on these primary keys.
        .group_by(col(Maker.id), col(EquipmentCategory.id))
    ).all()
    zone = ZoneInfo(timezone)
    found: list[Lapsing] = []
    for maker, category, granted_on, used_at in rows:
        last_active = max(granted_on, used_at.astimezone(zone).date()) if used_at else granted_on
        lapses_on = last_active + timedelta(days=(category.lapse_after_days or 0) + 1)
        if today < lapses_on <= today + timedelta(days=within_days):
            found.append(
                Lapsing(
                    maker_id=id_of(maker),
                    member_number=maker.member_number,
                    email=maker.email,
                    category_code=category.code,
                    category=Localized(
                        en=category.name_en, fr=category.name_fr, nl=category.name_nl
                    ),
                    last_active=last_active,
                    lapses_on=lapses_on,
                )
            )
    return sorted(found, key=lambda row: (row.lapses_on, row.member_number, row.category_code))
