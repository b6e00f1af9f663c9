"""Operations commands: backup and restore; makers' data export and erasure."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from fabdesk.cli._app import app, err, out, utc_now
from fabdesk.cli.core import makers_app
from fabdesk.db import session_scope
from fabdesk.files import private_file, write_private
from fabdesk.ops.backup import backup, default_backup_path, restore


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    target: Annotated[
        Path | None,
        typer.Argument(
            help="File to write (default: fabdesk-DATE-TIME.db or .dump in privacy.backup_folder, "
            "which is then pruned as the retention settings say).",
            dir_okay=False,
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Then restore the copy into a temporary place and run the ledger check on it "
            "(exit 10 if the books do not balance there).",
        ),
    ] = False,
) -> None:
    """Write a consistent copy of the database, safe to run while the server works.

    SQLite is copied with its online backup API; PostgreSQL with `pg_dump --format=custom`.
    The copy is readable by its owner only. Bring a copy back with `fabdesk restore FILE`.
    Retention: every backup of the last `privacy.backup_daily_days` days is kept, then one a
    week, and none older than `privacy.backup_days` (also pruned nightly by the scheduler).
    """
    from fabdesk.errors import LedgerImbalance
    from fabdesk.ops.backup import prune_backups, verify_backup

    engine = ctx.obj.engine()
    privacy = ctx.obj.settings().privacy
    now = datetime.now()
    path = target or default_backup_path(privacy.backups(), engine, now)
    report = backup(engine, path)
    out.print(f"Backup written: {report.path} ({report.bytes:,} bytes)")
    if target is None:
        pruned = prune_backups(
            privacy.backups(),
            now=now,
            daily_days=privacy.backup_daily_days,
            keep_days=privacy.backup_days,
        )
        if pruned:
            err.print(f"{len(pruned)} old backups deleted (retention).", highlight=False)
    if verify:
        checked = verify_backup(engine, report.path)
        if not checked.ok:
            raise LedgerImbalance(
                "The backup {path} restores, but its ledger does not balance: keep the previous "
                "backups and run `fabdesk ledger check`.",
                path=str(report.path),
            )
        out.print(
            f"Verified: restored into a temporary place, {checked.transactions} transactions, "
            "the ledger balances.",
            highlight=False,
        )


@app.command("restore")
def restore_command(
    ctx: typer.Context,
    source: Annotated[
        Path, typer.Argument(help="A file written by `fabdesk backup`.", dir_okay=False)
    ],
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask for confirmation (for scripts).")
    ] = False,
) -> None:
    """Replace the whole database with a backup. Stop the server, scheduler and kiosks first."""
    engine = ctx.obj.engine()
    where = engine.url.render_as_string(hide_password=True)
    if not yes and not typer.confirm(f"Replace everything in {where} with {source}?"):
        err.print("Nothing restored.")
        raise typer.Exit(1)
    restore(engine, source)
    out.print(f"Restored {source} into {where}.")


@makers_app.command("export")
def makers_export(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number of the maker.")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for MEMBER.json and MEMBER.pdf.", file_okay=False)
    ] = Path("."),
) -> None:
    """Give a maker everything fabdesk holds about them (GDPR access): JSON and a readable PDF."""
    from fabdesk.ops.privacy import export_maker, write_export_pdf

    with session_scope(ctx.obj.engine()) as session:
        export = export_maker(session, member_number)
    json_path = write_private(out_dir / f"{export.member_number}.json", export.to_json())
    pdf_path = private_file(out_dir / f"{export.member_number}.pdf")
    write_export_pdf(export, pdf_path, generated=datetime.now())
    rows = sum(len(records) for records in export.records.values())
    out.print(f"Wrote {json_path} and {pdf_path} ({rows} records).")


@makers_app.command("erase")
def makers_erase(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number of the maker.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask for confirmation (for scripts).")
    ] = False,
) -> None:
    """Erase a maker's personal data (GDPR erasure): name, e-mail, badge, trainings, messages.

    The accounting records the law requires (amounts, dates, machines) are kept under a pseudonym,
    so the ledger still balances. This cannot be undone.
    """
    from fabdesk.ops.privacy import erase_maker

    if not yes and not typer.confirm(f"Erase the personal data of {member_number}? No undo."):
        err.print("Nothing erased.")
        raise typer.Exit(1)
    with session_scope(ctx.obj.engine()) as session:
        report = erase_maker(session, member_number, now=utc_now())
    deleted = sum(report.deleted.values())
    out.print(f"Erased {member_number}: now {report.pseudonym}; {deleted} records deleted.")


@app.command("status")
def status_command(
    ctx: typer.Context,
    offline_minutes: Annotated[
        int | None,
        typer.Option(
            help="A driver silent this long counts as offline (default: "
            "scheduler.offline_minutes, as the managers' offline alerts).",
            min=1,
        ),
    ] = None,
) -> None:
    """Show the database, the scheduler leader and every machine's driver: online or offline,
    last heard from, state and the events waiting in its outbox; and the registered drivers
    never heard from."""
    from rich.table import Table

    from fabdesk.ops.status import installation_status

    now = utc_now()
    minutes = offline_minutes or ctx.obj.settings().scheduler.offline_minutes
    status = installation_status(
        ctx.obj.engine(), now=now, offline_after=timedelta(minutes=minutes)
    )
    out.print(f"Database: {status.database} (schema {', '.join(status.schema_revisions)})")
    out.print(f"Scheduler leader: {status.leader or 'none running (no job in the last minutes)'}")
    jobs = Table("job", "last run (UTC)", "by", title="Scheduler jobs")
    for run in status.jobs:
        jobs.add_row(run.job, f"{run.last_run_at:%Y-%m-%d %H:%M:%S}", run.runner)
    out.print(jobs)
    machines = Table(
        "machine",
        "driver",
        "last heard (UTC)",
        "state",
        "outbox backlog",
        "last fault",
        "clock",
        title=f"Drivers ({sum(m.online for m in status.machines)} online, "
        f"{sum(not m.online for m in status.machines)} offline after {minutes} min, "
        f"{len(status.never_heard)} never heard from)",
    )
    for line in status.machines:
        view = line.view
        machines.add_row(
            view.equipment_tag,
            "[green]online[/]" if line.online else "[red]offline[/]",
            f"{view.last_seen_at:%Y-%m-%d %H:%M:%S}",
            view.state.value,
            str(view.outbox_backlog if view.outbox_backlog is not None else "—"),
            view.last_fault_detail or "",
            f"[yellow]suspect[/] ({view.clock_offset_seconds:+.0f} s)"
            if view.clock_suspect
            else "ok",
        )
    for tag in status.never_heard:
        machines.add_row(tag, "[red]never heard from[/]", "", "", "", "")
    out.print(machines)
