"""Problem reports: a maker says what is wrong with a machine. A serious problem puts the machine
out of order at once, cancels its bookings (their makers are told) and warns the managers; the
others wait in the managers' list until resolved.

Refusal codes: `problem_text_required`, `machine_not_found`, `problem_not_found`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from fabdesk.actors import Actor, check_site, record_action
from fabdesk.errors import Count, InvalidValue, NotFound
from fabdesk.models import Booking, Equipment, EquipmentStatus, ProblemReport, Site, id_of
from fabdesk.settings import DeskSettings, SchedulerSettings
from inventory.register import change_status
from scheduling import notifier
from scheduling.letters import BOOKINGS_CANCELLED
from scheduling.releases import cancel_bookings_for_outage

__all__ = ["ProblemReported", "list_problems", "report_problem", "resolve_problem"]

log = logging.getLogger(__name__)


@dataclass
class ProblemReported:
    report: ProblemReport
    cancelled: list[Booking] = field(default_factory=list)
    """Bookings cancelled because the problem put the machine out of order."""


def report_problem(
    session: Session,
    *,
    maker_id: int | None,
    equipment_id: int,
    text: str,
    serious: bool,
    now: datetime,
    desk: DeskSettings,
    settings: SchedulerSettings,
) -> ProblemReported:
    """Record a maker's problem report (the kiosk calls this); a serious one is written to the
    managers' desk in its language."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidValue("Say what the problem is.", error_code="problem_text_required")
    equipment = session.get(Equipment, equipment_id)
    if equipment is None:
        raise NotFound(
            "No machine with id {equipment_id}.",
            equipment_id=equipment_id,
            error_code="machine_not_found",
        )
    report = ProblemReport(
        equipment_id=equipment_id, maker_id=maker_id, text=cleaned, serious=serious, reported_at=now
    )
    session.add(report)
    session.flush()
    result = ProblemReported(report)
    log.info("problem_reported", extra={"machine": equipment.asset_tag, "serious": serious})
    if not serious:
        return result
    if equipment.status != EquipmentStatus.OUT_OF_ORDER:
        change_status(
            session,
            equipment.asset_tag,
            EquipmentStatus.OUT_OF_ORDER,
            reason=f"Problem report {report.id}: {cleaned}"[:240],
            actor=maker_id,
            now=now,
        )
    result.cancelled = cancel_bookings_for_outage(session, equipment_id, cleaned, now, settings)
    site = session.get(Site, equipment.site_id)
    notifier.write_letter(
        session,
        key=f"problem_serious:{report.id}",
        kind="problem_serious",
        language=desk.language,
        recipient=desk.managers_email,
        params={
            "machine": equipment.name,
            "tag": equipment.asset_tag,
            "problem": report.id,
            "cancelled": Count(BOOKINGS_CANCELLED, len(result.cancelled)),
        },
        timezone=site.timezone if site is not None else settings.timezone,
        now=now,
        note=cleaned,
    )
    return result


def list_problems(
    session: Session, *, open_only: bool = True, site_code: str | None = None
) -> list[tuple[ProblemReport, str]]:
    """Problem reports with their machine's asset tag, newest first."""
    query = (
        select(ProblemReport, Equipment.asset_tag)
        .join(Equipment, col(Equipment.id) == ProblemReport.equipment_id)
        .order_by(col(ProblemReport.reported_at).desc(), col(ProblemReport.id).desc())
    )
    if open_only:
        query = query.where(col(ProblemReport.resolved_at).is_(None))
    if site_code is not None:
        query = query.join(Site, col(Site.id) == Equipment.site_id).where(Site.code == site_code)
    return [(report, tag) for report, tag in session.exec(query).all()]


def resolve_problem(
    session: Session, *, problem_id: int, resolution: str, actor: Actor, now: datetime
) -> ProblemReport:
    """Close a problem report of `actor`'s site (idempotent: a resolved report keeps its first
    resolution). Putting the machine back in service is the cadastre's status change, not this."""
    report = session.get(ProblemReport, problem_id)
    if report is None:
        raise NotFound(
            "No problem report has the id {id}.", id=problem_id, error_code="problem_not_found"
        )
    machine = session.get(Equipment, report.equipment_id)
    site_id = machine.site_id if machine is not None else None
    check_site(session, actor, site_id)
    if report.resolved_at is None:
        report.resolved_at = now
        report.resolved_by_id = actor.manager_id
        report.resolution = resolution.strip()[:500]
        session.add(report)
        session.flush()
        record_action(
            session, actor, "problem_resolved", subject=f"problem {problem_id}", site_id=site_id,
            now=now,
        )  # fmt: skip
        log.info("problem_resolved", extra={"problem_id": id_of(report)})
    return report
