"""Engines and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL (psycopg 3).

Nothing happens at import. `make_engine` builds an engine from settings; `session_scope` owns one
transaction; `write_session` is the serialised writer that check-then-insert rules need on SQLite
(`BEGIN IMMEDIATE`); on PostgreSQL it is an ordinary transaction and constraints do the work.
`upgrade` runs the Alembic migrations, the only path to DDL.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlmodel import Session

from fabdesk.errors import ConfigError, DatabaseUnavailable, FabdeskError
from fabdesk.files import make_private, private_file
from fabdesk.settings import DatabaseSettings

__all__ = ["Engine", "make_engine", "session_scope", "upgrade", "write_session"]

log = logging.getLogger(__name__)

_URL_HELP = "Use sqlite:///path/to/fabdesk.db or postgresql://user:password@host:5432/name."


def normalise_url(url: str) -> sa.URL:
    """Parse a database URL, mapping plain `postgresql://` to the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "Database URL {url!r} cannot be read. " + _URL_HELP, url=url, error_code="database_url"
        ) from None
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        raise ConfigError(
            "Database URL {url!r} names an unsupported database. " + _URL_HELP,
            url=url,
            error_code="database_url",
        )
    return parsed


REFUSAL_REMINDER_SECONDS = 3600.0
"""A refusal of one cause is logged again, with how many went unlogged, after this long."""


def short_reason(error: BaseException) -> str:
    """The first line of what the database said (the DBAPI's own message, without SQLAlchemy's
    statement and parameters that follow it), at most 200 characters."""
    said = getattr(error, "orig", None) or error
    return (str(said).strip().splitlines() or [type(said).__name__])[0][:200]


class DatabaseWatch:
    """Whether this process last found its database down: a lost database is logged once
    (`database_lost`, with the first line of the reason) and its return once (`database_back`);
    the failures in between are not logged again (the log filter in fabdesk.logs drops their
    tracebacks). A busy SQLite database is not an outage: what it refuses while up is logged
    by `refused`, once per cause."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.down = False
        self.seen = False
        """Whether the database answered once: a failure before is no loss (a command run
        while the database is down says so itself; a server logs `database_unreachable`)."""
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._refusals: dict[str, tuple[float, int]] = {}
        """Per cause: when it was last logged, and how many since were not."""

    def refused(self, error: BaseException) -> None:
        """A statement failed while the database is up (SQLite busy past its timeout, a full
        disk…): logged at WARNING (`database_refused`) once per cause, and again at most once
        an hour with how many went unlogged. During an outage nothing: `lost` logged it."""
        if self.down:
            return
        reason = short_reason(error)
        with self._lock:
            now = self._monotonic()
            logged_at, unlogged = self._refusals.get(reason, (None, 0))
            if logged_at is not None and now - logged_at < REFUSAL_REMINDER_SECONDS:
                self._refusals[reason] = (logged_at, unlogged + 1)
                return
            self._refusals[reason] = (now, 0)
        extra = {"reason": reason, "error": type(error).__name__, "unlogged": unlogged}
        log.warning("database_refused", extra=extra)

    def lost(self, error: BaseException) -> None:
        with self._lock:
            if self.down:
                return
            self.down = True
        extra = {"reason": short_reason(error), "error": type(error).__name__}
        if self.seen:
            log.error("database_lost", extra=extra)
        else:
            log.info("database_unreachable", extra=extra)

    def back(self) -> None:
        with self._lock:
            self.seen = True
            if not self.down:
                return
            self.down = False
        log.warning("database_back")


def is_connection_failure(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached (not a busy SQLite file, not a
    refused statement)."""
    text = str(error)
    return (
        isinstance(error, OperationalError | DBAPIError)
        and "locked" not in text
        and (isinstance(error, OperationalError) or getattr(error, "connection_invalidated", False))
    )


_WATCHES: weakref.WeakKeyDictionary[Engine, DatabaseWatch] = weakref.WeakKeyDictionary()


def watch_of(engine: Engine) -> DatabaseWatch | None:
    """The watch `make_engine` put on `engine` (None on an engine made elsewhere)."""
    return _WATCHES.get(engine)


def _watch(engine: Engine) -> None:
    watch = _WATCHES[engine] = DatabaseWatch()

    @sa.event.listens_for(engine, "handle_error")
    def _on_error(context: sa.engine.ExceptionContext) -> None:
        error = context.sqlalchemy_exception or context.original_exception
        if not isinstance(context.original_exception, Exception):
            return  # Ctrl-C, a stopping process: not the database's doing
        if context.is_disconnect or (context.connection is None and is_connection_failure(error)):
            watch.lost(context.original_exception)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection: Any, _record: Any) -> None:
        watch.back()


def make_engine(settings: DatabaseSettings) -> Engine:
    """An engine for the configured database. It never creates one: a SQLite file that is missing
    is unavailable until `upgrade` (that is `fabdesk init`) creates it. A lost database is logged
    once, and its return once (`DatabaseWatch`)."""
    url = normalise_url(settings.resolved_url())
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(
            url,
            echo=settings.echo,
            connect_args={"check_same_thread": False, "timeout": settings.busy_timeout_ms / 1000},
        )
        _configure_sqlite(engine, settings.busy_timeout_ms)
        _watch(engine)
        return engine
    engine = sa.create_engine(
        url,
        echo=settings.echo,
        pool_size=settings.pool_size,
        pool_pre_ping=True,
        connect_args={"connect_timeout": 5},
    )
    _watch(engine)
    return engine


def _sqlite_path(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None in memory)."""
    database = engine.url.database
    return Path(database) if database and database != ":memory:" else None


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    path = _sqlite_path(engine)
    if path is not None:

        @sa.event.listens_for(engine, "do_connect")
        def _open_existing(
            _dialect: Any, record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
        ) -> Any:
            # mode=rw: a missing file is an error, never a new empty database.
            connection = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, **cparams)
            record.info["file"] = _file_identity(path)
            return connection

        @sa.event.listens_for(engine, "checkout")
        def _same_file(_connection: Any, record: Any, _proxy: Any) -> None:
            # A file moved away or replaced (a restore) is let go: the next connection opens what
            # the path names now, or finds it missing.
            if record.info.get("file") != _file_identity(path):
                raise sa.exc.DisconnectionError(f"database file {path} was moved or replaced")

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if path is not None:  # SQLite gives its WAL the file's mode
            make_private(
                path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
            )
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is not configurable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get("fabdesk_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def check_connection(engine: Engine) -> None:
    """Raise DatabaseUnavailable with what to fix when the database does not answer."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            "Cannot reach the database at {url}: {reason}. Check that the server runs and that "
            "FABDESK_DATABASE__URL is right.",
            url=engine.url.render_as_string(hide_password=True),
            reason=reason,
        ) from None


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except FabdeskError:
            _end_refused(session)
            raise
        except BaseException:
            session.rollback()
            raise


def _end_refused(session: Session) -> None:
    """End a transaction that our own code refused (a booking rule, a bad value).

    psycopg forgets every prepared statement at each ROLLBACK, so under contention, where one
    booking attempt in two is refused, PostgreSQL would plan the booking queries anew every time
    (about 1 ms of server CPU per attempt). A refusal usually comes before any write: when the
    server says this transaction wrote nothing (it has no transaction id) and the session holds no
    pending change, COMMIT ends it exactly as ROLLBACK would, and keeps the prepared statements."""
    if (
        session.in_transaction()
        and session.get_bind().dialect.name == "postgresql"
        and not (session.new or session.dirty or session.deleted)
    ):
        try:
            written = (
                session.connection()
                .exec_driver_sql("SELECT pg_current_xact_id_if_assigned()")
                .scalar()
            )
        except DBAPIError:  # the refusal followed a failed statement: the transaction is aborted
            written = "unknown"
        if written is None:
            session.commit()
            return
    session.rollback()


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A transaction that holds the database's write lock from its first statement on SQLite
    (`BEGIN IMMEDIATE`), so a check followed by an insert cannot race another writer."""
    with session_scope(engine.execution_options(fabdesk_write=True)) as session:
        yield session


def alembic_config(engine: Engine) -> Any:
    """The Alembic configuration for fabdesk's migrations, bound to `engine`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "fabdesk:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema up to `revision` (default: the newest of every branch)."""
    from alembic import command

    path = _sqlite_path(engine) if is_sqlite(engine) else None
    if path is not None and not path.exists():
        private_file(path)  # the one place a database is created (empty: SQLite fills it)
    check_connection(engine)
    command.upgrade(alembic_config(engine), revision)
