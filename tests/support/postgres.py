"""A throwaway PostgreSQL server from the machine's binaries, for tests and benchmarks.

initdb into a temporary folder, listen on 127.0.0.1 at a free port, stop and delete on exit.
As root (CI), the server runs as the `postgres` system user, since PostgreSQL refuses root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg


class PostgresMissing(RuntimeError):
    pass


def find_bindir() -> Path:
    """The folder holding initdb and pg_ctl: $FABDESK_PG_BINDIR, Debian's newest, or $PATH."""
    if os.environ.get("FABDESK_PG_BINDIR"):
        return Path(os.environ["FABDESK_PG_BINDIR"])
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise PostgresMissing(
        "PostgreSQL server binaries (initdb, pg_ctl) are not installed. "
        "Run `make test`, which installs them (apt-get install postgresql), "
        "or set FABDESK_PG_BINDIR."
    )


def _version_key(path: str) -> int:
    return int(Path(path).parent.parent.name.split(".")[0])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    port: int
    user: str = "fabdesk"
    control: tuple[str, ...] = ()
    """`pg_ctl -D DATA` (behind `runuser` as root): what `restart` runs."""
    options: str = ""
    """The server's `-o` options (port, sockets…), for `start` after `stop`."""

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def restart(self) -> None:
        """Stop the server at once (clients are cut off) and start it again on the same port."""
        subprocess.run(
            [*self.control, "-m", "fast", "-w", "restart"], check=True, capture_output=True
        )
        _wait_ready(self)

    def stop(self) -> None:
        """Stop the server at once: clients are cut off, new connections refused."""
        subprocess.run([*self.control, "-m", "fast", "-w", "stop"], check=True, capture_output=True)

    def start(self) -> None:
        """Start a stopped server again on the same port."""
        subprocess.run(
            [*self.control, "-o", self.options, "-w", "-t", "60", "start"],
            check=True,
            capture_output=True,
        )
        _wait_ready(self)

    def admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        )


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix="fabdesk-pg-"))
    data = root / "data"
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        [
            *prefix,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "fabdesk",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
        **run,  # type: ignore[call-overload]
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
        "-c shared_buffers=256MB"
    )
    subprocess.run(
        [
            *prefix,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        **run,  # type: ignore[call-overload]
    )
    server = PostgresServer(
        port=port,
        control=(*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log")),
        options=options,
    )
    try:
        _wait_ready(server)
        yield server
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(server: PostgresServer) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with server.admin():
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
