"""Audits by scanning: open an audit of a site, scan labels, close it, and report what was where.

Used by `fabdesk audit …` and by the kiosk's manager screen. A scanner types the QR content (the
asset tag, or a URL ending in it) followed by Enter; each scan is found, misplaced (registered at
another site or location), unknown, or a duplicate. Closing writes a `missing` line for each item
of the site that was expected but not scanned (not retired, not lent out), and updates each seen
item's last-seen and next-audit-due dates.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from fabdesk.actors import Actor, authorise, names_of
from fabdesk.errors import Conflict, InvalidValue, NotFound
from fabdesk.i18n import counted
from fabdesk.identifiers import parse_asset_tag
from fabdesk.models import (
    Audit,
    AuditScan,
    Equipment,
    EquipmentEventKind,
    EquipmentStatus,
    ScanOutcome,
    Site,
    id_of,
)
from inventory.labels import BOLD, REGULAR, register_fonts
from inventory.loans import Loan, lent_items
from inventory.lookups import get_site
from inventory.register import record_event

log = logging.getLogger(__name__)

SEEN = (ScanOutcome.FOUND, ScanOutcome.MISPLACED)


def tag_from_scan(content: str) -> str | None:
    """The asset tag in what a scanner typed (a bare tag or a URL ending in it), or None."""
    text = content.strip().split("?")[0].split("#")[0].rstrip("/")
    candidate = text.rsplit("/", 1)[-1]
    try:
        return parse_asset_tag(candidate)
    except InvalidValue:
        return None


def open_audit(session: Session, site_code: str, *, actor: Actor, now: datetime) -> Audit:
    """Open an audit of a site (its manager, or a network admin); a site has at most one open
    audit."""
    site = get_site(session, site_code)
    authorise(session, actor, "audit_opened", subject=site.code, site_ids=(id_of(site),), now=now)
    already = session.exec(
        select(Audit.id).where(Audit.site_id == id_of(site)).where(col(Audit.closed_at).is_(None))
    ).first()
    if already is not None:
        raise Conflict(
            "Site {site} already has an open audit (number {number}).",
            site=site.code,
            number=already,
            error_code="audit_already_open",
        )
    audit = Audit(site_id=id_of(site), opened_at=now, opened_by_id=actor.manager_id)
    session.add(audit)
    session.flush()
    log.info("audit_opened audit_id=%s site=%s", audit.id, site.code)
    return audit


def get_audit(session: Session, audit_id: int) -> Audit:
    audit = session.get(Audit, audit_id)
    if audit is None:
        raise NotFound("There is no audit {number}.", number=audit_id, error_code="audit_not_found")
    return audit


def open_audit_of(session: Session, site_code: str) -> Audit:
    """The open audit of a site (for scanners that only know where they are)."""
    site = get_site(session, site_code)
    audit = session.exec(
        select(Audit).where(Audit.site_id == id_of(site)).where(col(Audit.closed_at).is_(None))
    ).first()
    if audit is None:
        raise NotFound(
            "Site {site} has no open audit.", site=site.code, error_code="audit_not_found"
        )
    return audit


def list_audits(session: Session, *, site_code: str | None = None) -> list[tuple[Audit, Site]]:
    query = (
        select(Audit, Site)
        .join(Site, col(Site.id) == col(Audit.site_id))
        .order_by(col(Audit.opened_at).desc(), col(Audit.id).desc())
    )
    if site_code is not None:
        query = query.where(Site.code == site_code)
    return [(audit, site) for audit, site in session.exec(query)]


def _require_open(audit: Audit) -> None:
    if not audit.is_open:
        raise Conflict("Audit {number} is closed.", number=audit.id, error_code="audit_closed")


@dataclass(frozen=True)
class ScanResult:
    """What one scan found."""

    outcome: ScanOutcome
    scan: AuditScan
    item: Equipment | None
    registered_site: str | None
    """Site code the register gives for the item (None for an unknown tag)."""

    @property
    def flag(self) -> str:
        """`retired` or `lent_out` when the register says the item should not be here."""
        return flag_of(self.item.status if self.item is not None else None)


FLAGGED = (EquipmentStatus.RETIRED, EquipmentStatus.LENT_OUT)


def flag_of(status: EquipmentStatus | None) -> str:
    """What a scan of an item in this status must say: a retired item or one lent out has no
    business being found in the lab."""
    return status.value if status in FLAGGED else ""


def scan(
    session: Session,
    audit_id: int,
    content: str,
    *,
    now: datetime,
    location: str | None = None,
) -> ScanResult:
    """Record one scan in an open audit; `location` is where the scanner is, if it says."""
    audit = get_audit(session, audit_id)
    _require_open(audit)
    content = content.strip()[:255]
    where = (location or "").strip()
    tag = tag_from_scan(content)
    item = None
    if tag is not None:
        item = session.exec(select(Equipment).where(Equipment.asset_tag == tag)).first()
    site_code: str | None = None
    if item is None:
        outcome = ScanOutcome.UNKNOWN
    else:
        site = session.get(Site, item.site_id)
        site_code = site.code if site else None
        before = session.exec(
            select(AuditScan.id)
            .where(AuditScan.audit_id == id_of(audit))
            .where(AuditScan.equipment_id == id_of(item))
            .where(col(AuditScan.outcome).in_(SEEN))
        ).first()
        if before is not None:
            outcome = ScanOutcome.DUPLICATE
        elif item.site_id != audit.site_id or (
            where and where.casefold() != item.location.strip().casefold()
        ):
            outcome = ScanOutcome.MISPLACED
        else:
            outcome = ScanOutcome.FOUND
    row = AuditScan(
        audit_id=id_of(audit),
        at=now,
        content=content,
        equipment_id=id_of(item) if item is not None else None,
        outcome=outcome,
        location=where,
    )
    session.add(row)
    session.flush()
    return ScanResult(outcome=outcome, scan=row, item=item, registered_site=site_code)


@dataclass(frozen=True)
class ReportLine:
    """One line of an audit report."""

    outcome: ScanOutcome
    content: str
    asset_tag: str
    name: str
    registered_site: str
    registered_location: str
    scanned_location: str
    at: datetime
    last_seen_on: date | None
    next_audit_due_on: date | None
    flag: str = ""
    """`retired` or `lent_out` for an item scanned that the register says is not there."""


@dataclass(frozen=True)
class AuditReport:
    audit: Audit
    site: Site
    lines: Sequence[ReportLine]
    loans: Sequence[Loan] = ()
    """The site's items lent out (not expected in the lab), overdue ones flagged."""
    opened_by: str = ""
    """The name of the manager who opened it."""

    @property
    def flagged(self) -> list[ReportLine]:
        """Scans of retired or lent-out items."""
        return [line for line in self.lines if line.flag]

    @property
    def overdue(self) -> list[Loan]:
        return [loan for loan in self.loans if loan.overdue]

    def group(self, outcome: ScanOutcome) -> list[ReportLine]:
        return [line for line in self.lines if line.outcome == outcome]

    def counts(self) -> dict[ScanOutcome, int]:
        return {outcome: len(self.group(outcome)) for outcome in ScanOutcome}


@dataclass(frozen=True)
class AuditProgress:
    """How far an audit is: `seen` of the `expected` items of its site were scanned there."""

    seen: int
    expected: int


def audit_progress(session: Session, audit_id: int) -> AuditProgress:
    """The items expected at the audit's site (not retired, not lent out) and how many of them
    were scanned so far (found or misplaced); an item of another site scanned here is not one."""
    audit = get_audit(session, audit_id)
    expected = set(
        session.exec(
            select(Equipment.id)
            .where(Equipment.site_id == audit.site_id)
            .where(
                col(Equipment.status).not_in([EquipmentStatus.RETIRED, EquipmentStatus.LENT_OUT])
            )
        ).all()
    )
    seen = set(
        session.exec(
            select(AuditScan.equipment_id)
            .where(AuditScan.audit_id == id_of(audit))
            .where(col(AuditScan.outcome).in_(SEEN))
        ).all()
    )
    return AuditProgress(seen=len(expected & seen), expected=len(expected))


def close_audit(
    session: Session,
    audit_id: int,
    *,
    actor: Actor,
    now: datetime,
    next_audit_in_days: int = 365,
) -> AuditReport:
    """Close an audit: mark unscanned expected items missing, date the seen ones, and report."""
    audit = get_audit(session, audit_id)
    _require_open(audit)
    actor_id = authorise(
        session, actor, "audit_closed", subject=f"audit {audit_id}", site_ids=(audit.site_id,),
        now=now,
    )  # fmt: skip
    scans = session.exec(select(AuditScan).where(AuditScan.audit_id == id_of(audit))).all()
    seen_on: dict[int, date] = {}
    for row in scans:
        if row.outcome in SEEN and row.equipment_id is not None:
            seen_on.setdefault(row.equipment_id, row.at.date())
    expected = session.exec(
        select(Equipment)
        .where(Equipment.site_id == audit.site_id)
        .where(col(Equipment.status).not_in([EquipmentStatus.RETIRED, EquipmentStatus.LENT_OUT]))
    ).all()
    next_due = now.date() + timedelta(days=next_audit_in_days)
    reason = f"audit {audit.id}"
    for item in expected:
        if id_of(item) not in seen_on:
            session.add(
                AuditScan(
                    audit_id=id_of(audit),
                    at=now,
                    equipment_id=id_of(item),
                    outcome=ScanOutcome.MISSING,
                )
            )
            record_event(
                session,
                item,
                EquipmentEventKind.AUDITED,
                actor_id=actor_id,
                now=now,
                field="missing",
                new="not found",
                reason=reason,
            )
    if seen_on:
        for item in session.exec(select(Equipment).where(col(Equipment.id).in_(list(seen_on)))):
            record_event(
                session,
                item,
                EquipmentEventKind.AUDITED,
                actor_id=actor_id,
                now=now,
                field="last_seen_on",
                old=item.last_seen_on,
                new=seen_on[id_of(item)],
                reason=reason,
            )
            item.last_seen_on = seen_on[id_of(item)]
            item.next_audit_due_on = next_due
    audit.closed_at = now
    audit.closed_by_id = actor_id
    session.flush()
    report = audit_report(session, audit_id)
    log.info(
        "audit_closed audit_id=%s %s",
        audit.id,
        " ".join(f"{o.value}={n}" for o, n in report.counts().items()),
    )
    return report


def audit_report(session: Session, audit_id: int, *, today: date | None = None) -> AuditReport:
    """The lines of an audit, grouped by outcome then in scan order (works on open audits too),
    and the site's loans as of `today` (default: the day the audit closed, or opened)."""
    audit = get_audit(session, audit_id)
    site = session.get(Site, audit.site_id)
    assert site is not None
    sites = {s.id: s.code for s in session.exec(select(Site))}
    rows = session.exec(
        select(AuditScan, Equipment)
        .outerjoin(Equipment, col(Equipment.id) == col(AuditScan.equipment_id))
        .where(AuditScan.audit_id == id_of(audit))
        .order_by(col(AuditScan.id))
    ).all()
    order = {outcome: index for index, outcome in enumerate(ScanOutcome)}
    lines = [
        ReportLine(
            outcome=row.outcome,
            content=row.content,
            asset_tag=item.asset_tag if item else "",
            name=item.name if item else "",
            registered_site=sites.get(item.site_id, "") if item else "",
            registered_location=item.location if item else "",
            scanned_location=row.location,
            at=row.at,
            last_seen_on=item.last_seen_on if item else None,
            next_audit_due_on=item.next_audit_due_on if item else None,
            flag=flag_of(item.status) if item and row.outcome in SEEN else "",
        )
        for row, item in rows
    ]
    lines.sort(key=lambda line: order[line.outcome])
    today = (audit.closed_at or audit.opened_at).date() if today is None else today
    loans = lent_items(session, today, site_code=site.code)
    opener = names_of(session, [audit.opened_by_id])
    return AuditReport(
        audit=audit, site=site, lines=lines, loans=loans, opened_by=opener[audit.opened_by_id]
    )


def audit_due(
    session: Session, today: date, *, site_code: str | None = None
) -> list[tuple[Equipment, str]]:
    """Items (with their site code) never audited or whose next audit is due by `today`,
    retired ones left out; by site then asset tag."""
    query = (
        select(Equipment, Site.code)
        .join(Site, col(Site.id) == col(Equipment.site_id))
        .where(Equipment.status != EquipmentStatus.RETIRED)
        .where(
            col(Equipment.next_audit_due_on).is_(None) | (col(Equipment.next_audit_due_on) <= today)
        )
        .order_by(col(Site.code), col(Equipment.asset_tag))
    )
    if site_code is not None:
        query = query.where(Site.id == id_of(get_site(session, site_code)))
    return [(item, code) for item, code in session.exec(query)]


REPORT_COLUMNS = [
    "outcome",
    "asset_tag",
    "name",
    "registered_site",
    "registered_location",
    "scanned_location",
    "scanned",
    "at",
    "last_seen_on",
    "next_audit_due_on",
    "flag",
]


def report_csv(report: AuditReport) -> str:
    """The report as CSV, one line per scan or missing item, grouped by outcome."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for line in report.lines:
        writer.writerow(
            [
                line.outcome.value,
                line.asset_tag,
                line.name,
                line.registered_site,
                line.registered_location,
                line.scanned_location,
                line.content,
                line.at.isoformat(timespec="seconds"),
                line.last_seen_on.isoformat() if line.last_seen_on else "",
                line.next_audit_due_on.isoformat() if line.next_audit_due_on else "",
                line.flag,
            ]
        )
    for loan in report.loans:
        writer.writerow(
            [
                "overdue_loan" if loan.overdue else "lent_out",
                loan.asset_tag,
                loan.name,
                loan.site,
                "",
                "",
                "",
                "",
                "",
                "",
                f"due back {loan.lent_until.isoformat() if loan.lent_until else '?'}",
            ]
        )
    return buffer.getvalue()


def report_pdf(report: AuditReport, path: Path) -> Path:
    """The report as an A4 PDF: a heading, the counts, then one section per outcome."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    register_fonts()  # names of people and machines in every alphabet of Brussels
    canvas = Canvas(str(path), pagesize=A4)
    height = A4[1]
    y = height - 20 * mm

    def line(text: str, *, size: float = 9, bold: bool = False, indent: float = 0) -> None:
        nonlocal y
        if y < 20 * mm:
            canvas.showPage()
            y = height - 20 * mm
        canvas.setFont(BOLD if bold else REGULAR, size)
        canvas.drawString(20 * mm + indent, y, text[:110])
        y -= size * 1.5

    audit = report.audit
    closed = audit.closed_at.strftime("%Y-%m-%d %H:%M UTC") if audit.closed_at else "still open"
    line(f"Audit {audit.id} of {report.site.name} ({report.site.code})", size=14, bold=True)
    line(f"Opened {audit.opened_at:%Y-%m-%d %H:%M UTC} by {report.opened_by}; closed: {closed}")
    counts = report.counts()
    line(", ".join(f"{outcome.value}: {n}" for outcome, n in counts.items()))
    for outcome in ScanOutcome:
        group = report.group(outcome)
        if not group:
            continue
        y -= 6
        line(f"{outcome.value.capitalize()} ({len(group)})", size=11, bold=True)
        for entry in group:
            where = f"{entry.registered_site} / {entry.registered_location}".strip(" /")
            text = (
                f"{entry.asset_tag or entry.content!s:<14}  {entry.name[:40]:<40}  "
                f"registered: {where or '-'}"
            )
            if entry.scanned_location:
                text += f"  scanned in: {entry.scanned_location}"
            if entry.flag:
                text = f"FLAG: {entry.flag} in the register!  {text}"
            line(text, indent=4 * mm)
    if report.loans:
        y -= 6
        line(f"Lent out ({len(report.loans)}, {len(report.overdue)} overdue)", size=11, bold=True)
        for loan in report.loans:
            due = loan.lent_until.isoformat() if loan.lent_until else "?"
            late = f"  OVERDUE by {counted(loan.days_late, 'day')}" if loan.overdue else ""
            line(f"{loan.asset_tag:<14}  {loan.name[:40]:<40}  due back {due}{late}", indent=4 * mm)
    canvas.save()
    return path
