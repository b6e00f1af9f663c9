"""Loans and audits: a scan of a retired or lent-out item says so, the report lists what is lent
out and what is overdue, and the managers hear of overdue loans once a day."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from fabdesk.actors import Actor
from fabdesk.models import EquipmentStatus, Notification
from fabdesk.settings import Settings
from inventory.audit import audit_report, close_audit, open_audit, report_csv, report_pdf, scan
from inventory.loans import lent_items, overdue_loans
from inventory.register import change_status
from scheduling.jobs import JobContext
from scheduling.jobs import overdue_loans as overdue_loans_job
from scheduling.notifier import OutboxNotifier
from tests.inventory.conftest import ACTOR, NOW, TODAY, make_manager, tag

LASER, PRINTER, DRILLS = tag("LAB1", 1), tag("LAB1", 2), tag("LAB1", 3)


def _lend(session: Session, asset_tag: str, until_days: int, *, now_days: int = 0) -> None:
    change_status(
        session,
        asset_tag,
        EquipmentStatus.LENT_OUT,
        reason="school project",
        actor=ACTOR,
        now=NOW + timedelta(days=now_days),
        lent_to="École Łukasiewicz",
        lent_until=TODAY + timedelta(days=until_days),
    )


def test_scanning_a_retired_or_lent_item_flags_it_live_and_in_the_report(
    admin: Actor, world: Session, tmp_path: Path
) -> None:
    _lend(world, PRINTER, -3, now_days=-10)  # was due back three days ago
    _lend(world, DRILLS, 5)
    change_status(world, LASER, EquipmentStatus.RETIRED, reason="broken", actor=ACTOR, now=NOW)
    audit = open_audit(world, "lab1", actor=admin, now=NOW)
    assert scan(world, audit.id or 0, LASER, now=NOW).flag == "retired"
    assert scan(world, audit.id or 0, PRINTER, now=NOW).flag == "lent_out"
    report = close_audit(world, audit.id or 0, actor=admin, now=NOW)
    assert {(line.asset_tag, line.flag) for line in report.flagged} == {
        (LASER, "retired"),
        (PRINTER, "lent_out"),
    }
    assert [(loan.asset_tag, loan.overdue) for loan in report.loans] == [
        (PRINTER, True),
        (DRILLS, False),
    ]
    assert [loan.asset_tag for loan in report.overdue] == [PRINTER]
    text = report_csv(audit_report(world, audit.id or 0))
    assert f"overdue_loan,{PRINTER}" in text
    assert f"lent_out,{DRILLS}" in text
    assert f",{LASER}," in text
    assert ",retired\n" in text
    pdf = report_pdf(report, tmp_path / "audit.pdf")
    printed = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "OVERDUE by 3 days" in printed
    assert "FLAG: retired in the register" in printed


def test_overdue_loans_are_the_late_ones_latest_first(world: Session) -> None:
    _lend(world, PRINTER, -1, now_days=-10)
    _lend(world, DRILLS, -4, now_days=-10)
    assert len(lent_items(world, TODAY)) == 2
    assert [(loan.asset_tag, loan.days_late) for loan in overdue_loans(world, TODAY)] == [
        (DRILLS, 4),
        (PRINTER, 1),
    ]
    assert overdue_loans(world, TODAY, site_code="lab2") == []


def test_the_managers_hear_of_overdue_loans_once_a_day(
    world: Session, settings: Settings, engine: Engine
) -> None:
    admin = make_manager(world)
    make_manager(world, language="fr", site_code="lab2")  # manages no late item
    _lend(world, PRINTER, -2, now_days=-10)
    context = JobContext(
        settings=settings,
        engine=engine,
        notifier=OutboxNotifier(),
        clock=lambda: NOW,
        runner="test",
        jobs={},
    )
    assert overdue_loans_job(world, context, NOW) == 2  # the desk and the admin
    assert overdue_loans_job(world, context, NOW + timedelta(hours=1)) == 0
    messages = world.exec(select(Notification).where(Notification.kind == "overdue_loans")).all()
    assert {m.maker_id for m in messages} == {None, admin}
    assert all(PRINTER in m.body for m in messages)
    bodies = {m.maker_id: m.body for m in messages}
    assert "2 days late" in bodies[admin]  # the manager's own language (English)
    assert "2 jours de retard" in bodies[None]  # the desk's (settings.desk.language: French)
