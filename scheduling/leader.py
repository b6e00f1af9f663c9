"""Leader election: among scheduler processes sharing one database, only the leader runs jobs.

On PostgreSQL the leader holds a session-level advisory lock on a connection of its own; when the
process dies, the server drops the connection and the lock, and a follower polling
`pg_try_advisory_lock` takes over. On SQLite there is one process by design (one lab, one
machine): the lock is always granted.
"""

from __future__ import annotations

import contextlib
import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

__all__ = ["LeaderLock"]

log = logging.getLogger(__name__)


class LeaderLock:
    def __init__(self, engine: Engine, key: int) -> None:
        self.engine = engine
        self.key = key
        self._connection: Connection | None = None
        self.held = False

    @property
    def shared(self) -> bool:
        """Whether other processes can compete for the lock (PostgreSQL)."""
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True if this process is (now) the leader."""
        if self.held:
            return True
        if not self.shared:
            self.held = True
            return True
        try:
            if self._connection is None:
                self._connection = self.engine.connect()
            got = self._connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar()
            self._connection.commit()
        except DBAPIError:
            log.debug("leader_lock_unreachable")  # the engine logs the outage, once
            self._drop()
            return False
        self.held = bool(got)
        if not self.held:
            self._drop()
        return self.held

    def still_held(self) -> bool:
        """Whether the lock's connection is alive (if it died, the server released the lock)."""
        if not self.held:
            return False
        if not self.shared:
            return True
        try:
            assert self._connection is not None
            self._connection.execute(sa.text("SELECT 1")).scalar()
            self._connection.commit()
        except (DBAPIError, AssertionError):
            log.warning("leader_lock_lost")
            self._drop()
            self.held = False
        return self.held

    def release(self) -> None:
        if self.held and self.shared and self._connection is not None:
            try:
                self._connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
                )
                self._connection.commit()
            except DBAPIError:
                log.warning("leader_unlock_failed", exc_info=True)
        self.held = False
        self._drop()

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(DBAPIError):
                self._connection.close()
            self._connection = None
