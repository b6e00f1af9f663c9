"""Audits by scanning: found, misplaced, unknown, duplicate, and missing on close."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from fabdesk.actors import Actor
from fabdesk.errors import Conflict, NotFound
from fabdesk.models import EquipmentStatus, ScanOutcome
from inventory.audit import (
    AuditProgress,
    audit_due,
    audit_progress,
    audit_report,
    close_audit,
    open_audit,
    open_audit_of,
    report_csv,
    report_pdf,
    scan,
    tag_from_scan,
)
from inventory.lookups import get_item
from inventory.register import NewItem, add_item, change_status
from tests.inventory.conftest import ACTOR, NOW, TODAY, tag

LASER = tag("LAB1", 1)
PRINTER = tag("LAB1", 2)
DRILLS = tag("LAB1", 3)
OTHER_SITE = tag("LAB2", 1)


def test_an_audit_sorts_every_scan_and_finds_what_is_missing(admin: Actor, world: Session) -> None:
    spare = add_item(world, NewItem("lab1", "fdm", "Spare printer"), actor=ACTOR, now=NOW)
    retired = add_item(world, NewItem("lab1", "fdm", "Old printer"), actor=ACTOR, now=NOW)
    change_status(
        world, retired.asset_tag, EquipmentStatus.RETIRED, reason="old", actor=ACTOR, now=NOW
    )
    lent = add_item(world, NewItem("lab1", "fdm", "Lent printer"), actor=ACTOR, now=NOW)
    change_status(
        world,
        lent.asset_tag,
        EquipmentStatus.LENT_OUT,
        reason="event",
        actor=ACTOR,
        now=NOW,
        lent_to="A school",
        lent_until=TODAY + timedelta(days=3),
    )
    audit = open_audit(world, "lab1", actor=admin, now=NOW)
    assert open_audit_of(world, "lab1").id == audit.id
    assert audit_progress(world, audit.id or 0) == AuditProgress(seen=0, expected=4)
    at = NOW + timedelta(minutes=5)
    outcomes = [
        scan(world, audit.id or 0, f"{LASER}\n", now=at).outcome,
        scan(world, audit.id or 0, f"https://fab.example.org/e/{PRINTER}", now=at).outcome,
        scan(world, audit.id or 0, LASER.lower(), now=at).outcome,
        scan(world, audit.id or 0, OTHER_SITE, now=at).outcome,
        scan(world, audit.id or 0, DRILLS, now=at, location="Atelier").outcome,
        scan(world, audit.id or 0, tag("LAB9", 9), now=at).outcome,
        scan(world, audit.id or 0, "hello world", now=at).outcome,
    ]
    assert outcomes == [
        ScanOutcome.FOUND,
        ScanOutcome.FOUND,
        ScanOutcome.DUPLICATE,
        ScanOutcome.MISPLACED,  # registered at lab2
        ScanOutcome.MISPLACED,  # registered in the Store, scanned in the Atelier
        ScanOutcome.UNKNOWN,
        ScanOutcome.UNKNOWN,
    ]
    # Of the 4 items expected at lab1 (not the retired, not the lent-out), 3 were seen; the item
    # of lab2 seen here is not one of them.
    assert audit_progress(world, audit.id or 0) == AuditProgress(seen=3, expected=4)
    closed = NOW + timedelta(hours=2)
    report = close_audit(world, audit.id or 0, actor=admin, now=closed, next_audit_in_days=180)
    groups = {o: [line.asset_tag or line.content for line in report.group(o)] for o in ScanOutcome}
    assert groups == {
        ScanOutcome.FOUND: [LASER, PRINTER],
        ScanOutcome.MISPLACED: [OTHER_SITE, DRILLS],
        ScanOutcome.UNKNOWN: [tag("LAB9", 9), "hello world"],
        ScanOutcome.DUPLICATE: [LASER],
        # Neither the retired nor the lent-out item is expected on the shelf.
        ScanOutcome.MISSING: [spare.asset_tag],
    }
    for seen in (LASER, PRINTER, DRILLS, OTHER_SITE):
        item = get_item(world, seen)
        assert item.last_seen_on == TODAY
        assert item.next_audit_due_on == TODAY + timedelta(days=180)
    assert get_item(world, spare.asset_tag).last_seen_on is None
    assert report.audit.closed_by_id == admin.manager_id
    # A closed audit takes no more scans, and is not closed twice; the site may be audited again.
    with pytest.raises(Conflict):
        scan(world, audit.id or 0, LASER, now=closed)
    with pytest.raises(Conflict):
        close_audit(world, audit.id or 0, actor=admin, now=closed)
    with pytest.raises(NotFound):
        open_audit_of(world, "lab1")
    assert audit_report(world, audit.id or 0).counts() == report.counts()
    # What was seen is next due in 180 days; what was not is due now.
    due_now = {item.asset_tag for item, _ in audit_due(world, TODAY)}
    assert due_now == {spare.asset_tag, lent.asset_tag}
    later = {item.asset_tag for item, _ in audit_due(world, TODAY + timedelta(days=180))}
    assert later == due_now | {LASER, PRINTER, DRILLS, OTHER_SITE}
    assert [i.asset_tag for i, _ in audit_due(world, TODAY, site_code="lab2")] == []


def test_one_open_audit_per_site(admin: Actor, world: Session) -> None:
    open_audit(world, "lab1", actor=admin, now=NOW)
    with pytest.raises(Conflict) as caught:
        open_audit(world, "lab1", actor=admin, now=NOW)
    assert caught.value.code == "audit_already_open"
    open_audit(world, "lab2", actor=admin, now=NOW)
    with pytest.raises(NotFound):
        open_audit(world, "lab3", actor=admin, now=NOW)
    with pytest.raises(NotFound):
        scan(world, 999, LASER, now=NOW)


def test_report_as_csv_and_pdf(admin: Actor, world: Session, tmp_path: Path) -> None:
    audit = open_audit(world, "lab1", actor=admin, now=NOW)
    scan(world, audit.id or 0, LASER, now=NOW)
    scan(world, audit.id or 0, "LAB1-00099-Z", now=NOW)
    report = close_audit(world, audit.id or 0, actor=admin, now=NOW)
    lines = report_csv(report).splitlines()
    assert lines[0].startswith("outcome,asset_tag,name")
    assert [line.split(",")[0] for line in lines[1:]] == ["found", "unknown", "missing", "missing"]
    pdf = report_pdf(report, tmp_path / "audit.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True)
    for heading in ("Found (1)", "Unknown (1)", "Missing (2)", LASER, PRINTER, "Lab One"):
        assert heading in text.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("LAB1-00001-U", "LAB1-00001-U"),
        ("  lab1-00001-u\r\n", "LAB1-00001-U"),
        ("https://x.org/e/LAB1-00001-U/", "LAB1-00001-U"),
        ("https://x.org/e/LAB1-00001-U?src=qr", "LAB1-00001-U"),
        ("LAB1-00001-V", None),
        ("", None),
    ],
)
def test_tags_are_read_from_what_scanners_type(content: str, expected: str | None) -> None:
    assert tag("LAB1", 1) == "LAB1-00001-U"
    assert tag_from_scan(content) == expected
