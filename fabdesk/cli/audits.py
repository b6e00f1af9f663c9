"""Audit commands: open an audit of a site, scan its labels, close it, read its report."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import ActingManager, app, out, utc_now
from fabdesk.cli.inventory import _day
from fabdesk.db import session_scope
from fabdesk.i18n import counted
from fabdesk.models import ScanOutcome

audit_app = typer.Typer(
    help="Audit a site by scanning its labels: `open`, `scan` (type or scan tags, one a line), "
    "`close`, `report`.",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")


_STYLE = {
    ScanOutcome.FOUND: "green",
    ScanOutcome.MISPLACED: "yellow",
    ScanOutcome.UNKNOWN: "red",
    ScanOutcome.DUPLICATE: "blue",
    ScanOutcome.MISSING: "bold red",
}


_FLAGS = {
    "retired": "RETIRED in the register: it should not be here",
    "lent_out": "LENT OUT in the register: it is back, or was never lent",
}


@audit_app.command("open")
def audit_open(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="Site code.")],
    acting: ActingManager = None,
) -> None:
    """Open an audit of a site; prints its number, used by `scan` and `close`."""
    from inventory.audit import open_audit

    with session_scope(ctx.obj.engine()) as session:
        audit = open_audit(session, site, actor=ctx.obj.actor(session, acting), now=utc_now())
        number = audit.id
    out.print(f"Audit {number} of {site} is open. Scan with: fabdesk audit scan {number}")


@audit_app.command("scan")
def audit_scan(
    ctx: typer.Context,
    audit_id: Annotated[int, typer.Argument(help="Audit number.")],
    scans: Annotated[
        list[str] | None,
        typer.Argument(help="Scanned tags or URLs; none: read one a line from the scanner."),
    ] = None,
    location: Annotated[
        str | None, typer.Option(help="Where you are scanning (finds misplaced items).")
    ] = None,
) -> None:
    """Record scans; with no arguments, reads lines as the scanner types them (empty line or
    Ctrl+D ends)."""
    from inventory.audit import scan

    engine = ctx.obj.engine()

    def one(content: str) -> None:
        with session_scope(engine) as session:
            result = scan(session, audit_id, content, now=utc_now(), location=location)
            outcome = result.outcome
            name = result.item.name if result.item else ""
            where = result.registered_site or ""
            flag = result.flag
        style = _STYLE[outcome]
        warning = f"  [bold red]{_FLAGS[flag]}[/]" if flag else ""
        out.print(
            f"[{style}]{outcome.value:<10}[/] {content}  {name}  {where}{warning}", highlight=False
        )

    if scans:
        for content in scans:
            one(content)
        return
    if sys.stdin.isatty():
        out.print("Scan labels; an empty line ends.")
    for line in sys.stdin:
        if not line.strip():
            break
        one(line)


@audit_app.command("close")
def audit_close(
    ctx: typer.Context,
    audit_id: Annotated[int, typer.Argument(help="Audit number.")],
    acting: ActingManager = None,
) -> None:
    """Close an audit: unscanned items are missing; seen items get their next audit date."""
    from inventory.audit import close_audit

    days = ctx.obj.settings().inventory.audit_interval_days
    with session_scope(ctx.obj.engine()) as session:
        report = close_audit(
            session,
            audit_id,
            actor=ctx.obj.actor(session, acting),
            now=utc_now(),
            next_audit_in_days=days,
        )
        counts = report.counts()
    out.print(", ".join(f"{o.value}: {n}" for o, n in counts.items()))


@audit_app.command("report")
def audit_report(
    ctx: typer.Context,
    audit_id: Annotated[int, typer.Argument(help="Audit number.")],
    csv_file: Annotated[Path | None, typer.Option("--csv", help="Also write it as CSV.")] = None,
    pdf_file: Annotated[Path | None, typer.Option("--pdf", help="Also write it as PDF.")] = None,
) -> None:
    """Show an audit's report, grouped: found, misplaced, unknown, duplicate, missing; scans of
    retired or lent-out items flagged; then the site's items lent out, overdue ones marked."""
    from inventory.audit import audit_report as build_report
    from inventory.audit import report_csv, report_pdf

    with session_scope(ctx.obj.engine()) as session:
        report = build_report(session, audit_id)
    table = Table(
        "outcome",
        "asset tag",
        "name",
        "registered at",
        "scanned in",
        "last seen",
        "next audit",
        "flag",
        title=f"Audit {audit_id} of {report.site.code}",
    )
    for line in report.lines:
        table.add_row(
            f"[{_STYLE[line.outcome]}]{line.outcome.value}[/]",
            line.asset_tag or line.content,
            line.name,
            f"{line.registered_site} / {line.registered_location}".strip(" /"),
            line.scanned_location,
            _day(line.last_seen_on),
            _day(line.next_audit_due_on),
            f"[bold red]{line.flag}[/]" if line.flag else "",
        )
    out.print(table)
    if report.loans:
        loans = Table("asset tag", "name", "lent to", "due back", "", title="Lent out")
        for loan in report.loans:
            late = (
                f"[bold red]overdue by {counted(loan.days_late, 'day')}[/]" if loan.overdue else ""
            )
            loans.add_row(loan.asset_tag, loan.name, loan.lent_to, _day(loan.lent_until), late)
        out.print(loans)
    if csv_file is not None:
        csv_file.write_text(report_csv(report), encoding="utf-8")
        out.print(f"Wrote {csv_file}.")
    if pdf_file is not None:
        report_pdf(report, pdf_file)
        out.print(f"Wrote {pdf_file}.")


@audit_app.command("due")
def audit_due_list(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site (code).")] = None,
) -> None:
    """List items never audited or whose next audit is due."""
    from inventory.audit import audit_due

    with session_scope(ctx.obj.engine()) as session:
        rows = audit_due(session, date.today(), site_code=site)
    table = Table("asset tag", "name", "site", "last seen", "next audit due")
    for item, code in rows:
        table.add_row(
            item.asset_tag,
            item.name,
            code,
            _day(item.last_seen_on) or "never",
            _day(item.next_audit_due_on) or "now",
        )
    out.print(table)


@audit_app.command("list")
def audit_list(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site (code).")] = None,
) -> None:
    """List audits, newest first."""
    from fabdesk.actors import names_of
    from inventory.audit import list_audits

    with session_scope(ctx.obj.engine()) as session:
        audits = list_audits(session, site_code=site)
        names = names_of(session, (audit.opened_by_id for audit, _ in audits))
    table = Table("number", "site", "opened", "by", "closed")
    for audit, audit_site in audits:
        table.add_row(
            str(audit.id),
            audit_site.code,
            audit.opened_at.strftime("%Y-%m-%d %H:%M"),
            names[audit.opened_by_id],
            audit.closed_at.strftime("%Y-%m-%d %H:%M") if audit.closed_at else "open",
        )
    out.print(table)
