"""Operations commands: backup and restore."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from fabdesk.cli._app import app, err, out
from fabdesk.ops.backup import backup, default_backup_path, restore
from fabdesk.settings import data_dir


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    target: Annotated[
        Path | None,
        typer.Argument(
            help="File to write (default: backups/fabdesk-DATE-TIME.db or .dump in the data "
            "folder).",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write a consistent copy of the database, safe to run while the server works.

    SQLite is copied with its online backup API; PostgreSQL with `pg_dump --format=custom`.
    Bring a copy back with `fabdesk restore FILE`.
    """
    engine = ctx.obj.engine()
    path = target or default_backup_path(data_dir() / "backups", engine, datetime.now())
    report = backup(engine, path)
    out.print(f"Backup written: {report.path} ({report.bytes:,} bytes)")


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
