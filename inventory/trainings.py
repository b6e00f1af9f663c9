"""Training sessions: trainers of a category give them, makers enrol, a pass certifies; and the
category's lapse of unused certifications (`set_lapse`).

Refusal codes: `category_not_found`, `site_not_found`, `training_not_found`, `not_a_trainer`,
`participants` (bad minimum/maximum), `training_times`, `training_cancelled`, `training_started`,
`training_full`, `already_enrolled`, `not_enrolled`, `lapse_days`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.errors import Conflict, InvalidValue, Localized, NotFound, RuleViolation, Violation
from fabdesk.models import (
    Certification,
    Equipment,
    EquipmentCategory,
    Maker,
    Site,
    TrainerRight,
    TrainerRole,
    TrainingEnrolment,
    TrainingSession,
    TrainingState,
    id_of,
)
from inventory.lookups import get_category
from inventory.makers import certify

__all__ = [
    "cancel_underfilled_sessions",
    "enrol",
    "enrolled_count",
    "grant_trainer",
    "list_trainings",
    "record_passed",
    "schedule_training",
    "set_lapse",
    "trainings_for_machine",
]

log = logging.getLogger(__name__)


def grant_trainer(
    session: Session, *, maker_id: int, category_code: str, role: TrainerRole = TrainerRole.TRAINER
) -> TrainerRight:
    """Let a maker train others in a category (or change their role); idempotent."""
    category = get_category(session, category_code)
    right = session.exec(
        select(TrainerRight).where(
            TrainerRight.maker_id == maker_id, TrainerRight.category_id == id_of(category)
        )
    ).first()
    if right is None:
        right = TrainerRight(maker_id=maker_id, category_id=id_of(category), role=role)
    right.role = role
    session.add(right)
    session.flush()
    return right


def set_lapse(session: Session, *, category_code: str, days: int | None) -> EquipmentCategory:
    """Make the category's certifications lapse after `days` without use (None: never)."""
    if days is not None and days < 1:
        raise InvalidValue(
            "A lapse is at least 1 day (got {days}).", days=days, error_code="lapse_days"
        )
    category = get_category(session, category_code)
    category.lapse_after_days = days
    session.add(category)
    session.flush()
    return category


def _require_trainer(session: Session, maker_id: int, category: EquipmentCategory) -> None:
    if (
        session.exec(
            select(TrainerRight.id).where(
                TrainerRight.maker_id == maker_id, TrainerRight.category_id == category.id
            )
        ).first()
        is None
    ):
        raise RuleViolation(
            [
                Violation(
                    "not_a_trainer",
                    "This maker is not a trainer for {category}.",
                    {"category": category.name_en},
                )
            ]
        )


def schedule_training(
    session: Session,
    *,
    category_code: str,
    site_code: str,
    trainer_id: int,
    starts_at: datetime,
    ends_at: datetime,
    min_participants: int,
    max_participants: int,
    now: datetime,
) -> TrainingSession:
    """Plan a training of a category at a site, given by one of the category's trainers."""
    category = get_category(session, category_code)
    site = session.exec(select(Site).where(Site.code == site_code)).first()
    if site is None:
        raise NotFound("There is no site {site!r}.", site=site_code, error_code="site_not_found")
    if not 1 <= min_participants <= max_participants:
        raise InvalidValue(
            "Participants: the minimum ({low}) must be at least 1 and at most the maximum "
            "({high}).",
            low=min_participants,
            high=max_participants,
            error_code="participants",
        )
    if not now < starts_at < ends_at:
        raise InvalidValue(
            "A training must start in the future and end after it starts.",
            error_code="training_times",
        )
    _require_trainer(session, trainer_id, category)
    training = TrainingSession(
        category_id=id_of(category),
        site_id=id_of(site),
        trainer_id=trainer_id,
        starts_at=starts_at,
        ends_at=ends_at,
        min_participants=min_participants,
        max_participants=max_participants,
        created_at=now,
    )
    session.add(training)
    session.flush()
    log.info("training_scheduled", extra={"training_id": training.id})
    return training


def _training(session: Session, training_id: int, *, for_update: bool = False) -> TrainingSession:
    query = select(TrainingSession).where(TrainingSession.id == training_id)
    if for_update:
        query = query.with_for_update()
    training = session.exec(query).first()
    if training is None:
        raise NotFound(
            "No training has the number {id}.", id=training_id, error_code="training_not_found"
        )
    return training


def enrolled_count(session: Session, training_id: int) -> int:
    return int(
        session.exec(
            select(sa.func.count())
            .select_from(TrainingEnrolment)
            .where(TrainingEnrolment.training_id == training_id)
        ).one()
    )


def enrol(session: Session, *, training_id: int, maker_id: int, now: datetime) -> TrainingEnrolment:
    """Enrol a maker in a training that has not started and has a seat left."""
    training = _training(session, training_id, for_update=True)
    if training.state is TrainingState.CANCELLED:
        raise RuleViolation(
            [Violation("training_cancelled", "Training {id} was cancelled.", {"id": training_id})]
        )
    if training.starts_at <= now:
        raise RuleViolation(
            [
                Violation(
                    "training_started", "Training {id} has already started.", {"id": training_id}
                )
            ]
        )
    if session.exec(
        select(TrainingEnrolment.id).where(
            TrainingEnrolment.training_id == training_id, TrainingEnrolment.maker_id == maker_id
        )
    ).first():
        raise Conflict(
            "You are already enrolled in training {id}.",
            id=training_id,
            error_code="already_enrolled",
        )
    if enrolled_count(session, training_id) >= training.max_participants:
        raise RuleViolation(
            [Violation("training_full", "Training {id} is full.", {"id": training_id})]
        )
    enrolment = TrainingEnrolment(training_id=training_id, maker_id=maker_id, enrolled_at=now)
    session.add(enrolment)
    session.flush()
    return enrolment


def record_passed(
    session: Session,
    *,
    training_id: int,
    trainer_id: int,
    maker_ids: Sequence[int],
    now: datetime,
    granted_on: date,
    expires_on: date | None = None,
) -> list[Certification]:
    """The trainer records who passed: each gets the category's certification (once: recording
    a pass again changes nothing). Only a trainer of the category may do it."""
    training = _training(session, training_id, for_update=True)
    category = session.get(EquipmentCategory, training.category_id)
    assert category is not None
    _require_trainer(session, trainer_id, category)
    if training.state is TrainingState.CANCELLED:
        raise RuleViolation(
            [Violation("training_cancelled", "Training {id} was cancelled.", {"id": training_id})]
        )
    enrolments = {
        enrolment.maker_id: enrolment
        for enrolment in session.exec(
            select(TrainingEnrolment).where(TrainingEnrolment.training_id == training_id)
        ).all()
    }
    missing = [maker for maker in maker_ids if maker not in enrolments]
    if missing:
        raise RuleViolation(
            [
                Violation(
                    "not_enrolled",
                    "Maker {maker_id} is not enrolled in training {id}.",
                    {"maker_id": maker, "id": training_id},
                )
                for maker in missing
            ]
        )
    granted: list[Certification] = []
    for maker_id in dict.fromkeys(maker_ids):
        enrolment = enrolments[maker_id]
        if enrolment.passed_at is not None:
            continue
        maker = session.get(Maker, maker_id)
        assert maker is not None
        certification = certify(
            session, maker, category.code, granted_on=granted_on, expires_on=expires_on
        )
        enrolment.passed_at = now
        enrolment.certification_id = certification.id
        session.add(enrolment)
        granted.append(certification)
    session.flush()
    return granted


def cancel_underfilled_sessions(
    session: Session, now: datetime, notice_hours: int
) -> list[TrainingSession]:
    """Cancel every scheduled training that starts within `notice_hours` with fewer makers
    enrolled than its minimum, and tell them (a job; idempotent)."""
    from scheduling import notifier

    deadline = now + timedelta(hours=notice_hours)
    due = session.exec(
        select(TrainingSession)
        .where(
            TrainingSession.state == TrainingState.SCHEDULED,
            col(TrainingSession.starts_at) > now,
            col(TrainingSession.starts_at) <= deadline,
        )
        .with_for_update(skip_locked=True)
    ).all()
    cancelled: list[TrainingSession] = []
    for training in due:
        training_id = id_of(training)
        if enrolled_count(session, training_id) >= training.min_participants:
            continue
        training.state = TrainingState.CANCELLED
        training.cancelled_at = now
        training.reason = "too few participants"
        session.add(training)
        cancelled.append(training)
        category = session.get(EquipmentCategory, training.category_id)
        names = (
            Localized(en=category.name_en, fr=category.name_fr, nl=category.name_nl)
            if category is not None
            else Localized(en="training")
        )
        site = session.get_one(Site, training.site_id)  # every training has a site
        for maker_id in session.exec(
            select(TrainingEnrolment.maker_id).where(TrainingEnrolment.training_id == training_id)
        ).all():
            notifier.enqueue_letter(
                session,
                key=f"training_cancelled:{training_id}:{maker_id}",
                kind="training_cancelled",
                maker_id=maker_id,
                params={"category": names, "starts": training.starts_at},
                timezone=site.timezone,
                now=now,
            )
        log.info("training_cancelled", extra={"training_id": training_id})
    session.flush()
    return cancelled


def list_trainings(
    session: Session, *, since: datetime | None = None, site_code: str | None = None
) -> list[tuple[TrainingSession, str, str, int]]:
    """Trainings (from `since`), each with its category code, site code and enrolled count."""
    query = (
        select(TrainingSession, EquipmentCategory.code, Site.code)
        .join(EquipmentCategory, col(EquipmentCategory.id) == TrainingSession.category_id)
        .join(Site, col(Site.id) == TrainingSession.site_id)
        .order_by(col(TrainingSession.starts_at), col(TrainingSession.id))
    )
    if since is not None:
        query = query.where(col(TrainingSession.ends_at) > since)
    if site_code is not None:
        query = query.where(Site.code == site_code)
    return [
        (training, category, site, enrolled_count(session, id_of(training)))
        for training, category, site in session.exec(query).all()
    ]


@dataclass(frozen=True)
class TrainingOffer:
    """A training a maker may still enrol in: when, where, and seats left."""

    training_id: int
    starts_at: datetime
    ends_at: datetime
    site_name: str
    seats_left: int


def trainings_for_machine(
    session: Session,
    equipment_id: int,
    *,
    now: datetime,
    site_id: int | None = None,
    limit: int = 3,
) -> list[TrainingOffer]:
    """The next trainings that certify for machine `equipment_id` (its training category, or its
    own category) with a seat left, soonest first, those at `site_id` before the others."""
    equipment = session.get(Equipment, equipment_id)
    if equipment is None:
        raise NotFound(
            "No machine has the number {id}.", id=equipment_id, error_code="equipment_not_found"
        )
    category_id = equipment.category_id
    if equipment.training_category_code:
        category_id = id_of(get_category(session, equipment.training_category_code))
    enrolled = (
        select(sa.func.count())
        .select_from(TrainingEnrolment)
        .where(TrainingEnrolment.training_id == TrainingSession.id)
        .scalar_subquery()
    )
    rows = session.exec(
        select(TrainingSession, Site.name, enrolled)
        .join(Site, col(Site.id) == TrainingSession.site_id)
        .where(
            TrainingSession.category_id == category_id,
            TrainingSession.state == TrainingState.SCHEDULED,
            col(TrainingSession.starts_at) > now,
            enrolled < TrainingSession.max_participants,
        )
        .order_by(
            sa.case((col(TrainingSession.site_id) == site_id, 0), else_=1),
            col(TrainingSession.starts_at),
        )
        .limit(limit)
    ).all()
    return [
        TrainingOffer(
            id_of(training),
            training.starts_at,
            training.ends_at,
            site,
            training.max_participants - int(count),
        )
        for training, site, count in rows
    ]
