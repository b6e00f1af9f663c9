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
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
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


_NAME = re.compile(r"^fabdesk-(\d{8}-\d{6})\.(db|dump)$")


def prune_backups(folder: Path, *, now: datetime, daily_days: int, keep_days: int) -> list[Path]:
    """Delete the backups `fabdesk backup` wrote in `folder` that retention no longer keeps:
    all older than `keep_days`; between `daily_days` and `keep_days`, all but each ISO week's
    newest. Other files are left alone. Returns the deleted paths, oldest first."""
    if not folder.is_dir():
        return []
    dated: list[tuple[datetime, Path]] = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match:
            taken = datetime.strptime(match[1], "%Y%m%d-%H%M%S").replace(tzinfo=now.tzinfo)
            dated.append((taken, path))
    deleted: list[Path] = []
    weeks_kept: set[tuple[int, int]] = set()
    for taken, path in sorted(dated, reverse=True):  # newest first: a week keeps its newest
        age = now - taken
        week = taken.isocalendar()[:2]
        if age <= timedelta(days=daily_days):
            continue
        if age <= timedelta(days=keep_days) and week not in weeks_kept:
            weeks_kept.add(week)
            continue
        path.unlink()
        deleted.append(path)
    if deleted:
        log.info("backups_pruned", extra={"deleted": len(deleted)})
    return sorted(deleted)


@dataclass(frozen=True)
class VerifyReport:
    transactions: int
    postings: int
    ok: bool


def verify_backup(engine: Engine, source: Path) -> VerifyReport:
    """Restore the backup at `source` into a temporary place (a SQLite file in a private temporary
    folder, or a temporary database beside `engine`'s on PostgreSQL), run the ledger check on
    it, and remove the place. The live database is not touched."""
    from fabdesk.accounting.ledger import check_ledger
    from fabdesk.db import make_engine, session_scope
    from fabdesk.settings import DatabaseSettings

    if not source.is_file():
        raise NotFound("There is no backup file {path}.", path=str(source), error_code="backup")
    with tempfile.TemporaryDirectory(prefix="fabdesk-verify-") as folder:
        if engine.dialect.name == "sqlite":
            copy = private_file(Path(folder) / "restored.db")
            with _sqlite_connect(source) as src, _sqlite_connect(copy) as dst:
                src.backup(dst)
            url = f"sqlite:///{copy}"
            scratch = None
        else:
            scratch = f"fabdesk_verify_{os.getpid()}_{int(datetime.now().timestamp())}"
            _admin(engine, f'CREATE DATABASE "{scratch}"')
            url = engine.url.set(database=scratch).render_as_string(hide_password=False)
        restored = make_engine(DatabaseSettings(url=url))
        try:
            if scratch is not None:
                _run_pg("pg_restore", restored, ["--no-owner", str(source)], "--dbname")
            with session_scope(restored) as session:
                check = check_ledger(session)
        finally:
            restored.dispose()
            if scratch is not None:
                _admin(engine, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    log.info("backup_verified", extra={"ok": check.ok, "transactions": check.transactions})
    return VerifyReport(transactions=check.transactions, postings=check.postings, ok=check.ok)


def _admin(engine: Engine, statement: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(statement)


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
