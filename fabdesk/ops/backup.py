"""Consistent backups while the server runs, and restores: SQLite's online backup API, pg_dump.

A SQLite backup is a page-by-page copy taken inside one read transaction, so it holds exactly the
transactions committed before it started, whatever writers do meanwhile (WAL lets them go on). A
PostgreSQL backup is `pg_dump --format=custom`, a snapshot of one transaction; `pg_restore --clean`
brings it back. The password never appears on a command line: it goes through PGPASSWORD.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from fabdesk.errors import ConfigError, NotFound
from fabdesk.files import make_private, private_file, private_folder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackupReport:
    path: Path
    bytes: int
    database: str
    """`sqlite` or `postgresql`."""


def default_backup_path(folder: Path, engine: Engine, now: datetime) -> Path:
    """`folder/fabdesk-20261124-101500.db` (SQLite) or `.dump` (PostgreSQL)."""
    suffix = ".db" if engine.dialect.name == "sqlite" else ".dump"
    return folder / f"fabdesk-{now:%Y%m%d-%H%M%S}{suffix}"


def backup(engine: Engine, target: Path) -> BackupReport:
    """Write a consistent copy of the database at `target`, readable by its owner only (its
    folder is created 0700)."""
    private_folder(target.parent)
    if engine.dialect.name == "sqlite":
        source = _sqlite_path(engine)
        partial = target.with_name(target.name + ".partial")
        partial.unlink(missing_ok=True)
        private_file(partial)
        with _sqlite_connect(source) as src, _sqlite_connect(partial) as dst:
            src.backup(dst)
        partial.replace(target)
    else:
        private_file(target)
        _run_pg("pg_dump", engine, ["--format=custom", "--no-owner", "--file", str(target)])
    make_private(target)
    log.info("backup_written", extra={"bytes": target.stat().st_size})
    return BackupReport(path=target, bytes=target.stat().st_size, database=engine.dialect.name)


def restore(engine: Engine, source: Path) -> None:
    """Replace the database's content with the backup at `source`.

    Stop the server, scheduler and kiosks first: connections open during a restore see the data
    change under them.
    """
    if not source.is_file():
        raise NotFound("There is no backup file {path}.", path=str(source), error_code="backup")
    engine.dispose()
    if engine.dialect.name == "sqlite":
        with _sqlite_connect(source) as src, _sqlite_connect(_sqlite_path(engine)) as dst:
            src.backup(dst)
    else:
        _run_pg(
            "pg_restore",
            engine,
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)],
            database_flag="--dbname",
        )
    log.info("backup_restored")


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise ConfigError("An in-memory SQLite database cannot be backed up.", error_code="backup")
    return Path(database)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _pg_tool(name: str) -> str:
    """`pg_dump`/`pg_restore` from $PATH (Debian's wrapper), else Debian's newest server's."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise ConfigError(
        "{tool} is not installed: install the PostgreSQL client (apt-get install "
        "postgresql-client).",
        tool=name,
        error_code="backup",
    )


def _run_pg(tool: str, engine: Engine, args: list[str], database_flag: str | None = None) -> None:
    url = engine.url
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    target = [database_flag, libpq] if database_flag else [libpq]
    result = subprocess.run(
        [_pg_tool(tool), *args, *target],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise ConfigError(
            "{tool} failed: {reason}", tool=tool, reason=reason, error_code="backup_failed"
        )
