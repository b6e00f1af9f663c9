"""Files and secrets: the database, its WAL, backups and exports are private whatever the umask;
`config show` masks every secret; no token reaches a log line, and JSON logs are JSON throughout
(uvicorn's access and error lines included)."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import select

from fabdesk.api.app import create_app
from fabdesk.api.serving import serve_in_thread
from fabdesk.db import Engine, make_engine, session_scope, upgrade, write_session
from fabdesk.logs import configure_logging
from fabdesk.models import Maker
from fabdesk.ops.backup import backup
from fabdesk.settings import DatabaseSettings, Settings, load_settings
from scheduling.ical import calendar_token
from tests.peers.conftest import cli
from tests.support.cli import fabdesk


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most careless umask a service could start with."""
    previous = os.umask(0o002)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_a_new_sqlite_database_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "data" / "fabdesk.db"
    engine = make_engine(DatabaseSettings(url=f"sqlite:///{path}"))
    upgrade(engine)  # `fabdesk init`: the one place a database is created
    with write_session(engine) as session:
        session.connection().exec_driver_sql("CREATE TABLE t (x INTEGER)")
        session.connection().exec_driver_sql("INSERT INTO t VALUES (1)")
    wal = path.with_name("fabdesk.db-wal")
    assert wal.exists()
    assert (_mode(path), _mode(wal)) == (0o600, 0o600)
    assert (_mode(path.parent), _mode(path.parent.parent)) == (0o700, 0o700)
    engine.dispose()


@pytest.mark.usefixtures("open_umask")
def test_backups_and_exports_are_private(engine: Engine, database_url: str, tmp_path: Path) -> None:
    from inventory.makers import NewMaker, register_maker

    with session_scope(engine) as session:
        register_maker(session, NewMaker("M-9", "Nina", email="nina@example.org"))
    report = backup(engine, tmp_path / "backups" / "copy.db")
    assert _mode(report.path) == 0o600
    assert _mode(report.path.parent) == 0o700
    exported = cli(database_url, "makers", "export", "M-9", "--out", str(tmp_path / "gdpr"))
    assert exported.exit_code == 0, exported.output
    assert {_mode(p) for p in (tmp_path / "gdpr").iterdir()} == {0o600}
    assert _mode(tmp_path / "gdpr") == 0o700


def test_config_show_masks_every_secret(tmp_path: Path) -> None:
    config = tmp_path / "fabdesk.toml"
    config.write_text(
        '[database]\nurl = "postgresql://fab:Pw-1234@db:5432/fab"\n'
        '[scheduler.smtp]\npassword = "Smtp-5678"\n'
    )
    shown = fabdesk("--config", str(config), "config", "show")
    assert shown.returncode == 0, shown.stderr
    for secret in ("Pw-1234", "Smtp-5678"):
        assert secret not in shown.stdout
    assert "fab:********@db" in shown.stdout


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """What the process logs as a service does (JSON lines); logging is put back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    written = io.StringIO()
    configure_logging(load_settings(overrides={"logging": {"json_lines": True}}), written)
    yield written
    root.handlers[:], level = saved
    root.setLevel(level)


def test_tokens_never_reach_a_log_line_and_every_line_is_json(
    api_settings: Settings, api_engine: Engine, manager_token: str, json_logs: io.StringIO
) -> None:
    with session_scope(api_engine) as session:
        maker_id = session.exec(select(Maker.id).limit(1)).one()
        assert maker_id is not None
        feed = calendar_token(session, maker_id)
    with serve_in_thread(create_app(api_settings, api_engine)) as url:
        assert httpx.get(f"{url}/api/v1/calendars/{feed}.ics").status_code == 200
        bearer = {"Authorization": f"Bearer {manager_token}"}
        assert httpx.get(f"{url}/api/v1/devices", headers=bearer).status_code == 200
        wrong = {"Authorization": "Bearer fdk_not-a-real-device-token"}
        assert httpx.get(f"{url}/api/v1/context", headers=wrong).status_code == 401
        httpx.get(f"{url}/api/v1/calendars/{feed}.ics", params={"token": feed})
    lines = json_logs.getvalue().splitlines()
    assert any("/calendars/***" in line for line in lines), lines  # the access log ran
    for line in lines:
        assert line.startswith("{"), "\n".join(lines)
        json.loads(line)
        for secret in (feed, manager_token, "not-a-real-device-token"):
            assert secret not in line


def test_a_down_or_busy_database_is_one_sentence_and_a_documented_code(tmp_path: Path) -> None:
    from fabdesk import exit_codes

    down = fabdesk("sites", env={"FABDESK_DATABASE__URL": "postgresql://fab:pw@127.0.0.1:1/fab"})
    assert down.returncode == exit_codes.DATABASE_UNAVAILABLE, down.stderr
    assert len(down.stderr.strip().splitlines()) == 1, down.stderr
    assert "Traceback" not in down.stderr
    assert "pw@" not in down.stderr

    path = tmp_path / "fabdesk.db"
    url = f"sqlite:///{path}"
    assert fabdesk("init", env={"FABDESK_DATABASE__URL": url}).returncode == 0
    holder = sa.create_engine(url)
    with holder.connect() as connection:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")  # another program holds the lock
        busy = fabdesk(
            "makers",
            "add",
            "M-77",
            "Test",
            env={"FABDESK_DATABASE__URL": url, "FABDESK_DATABASE__BUSY_TIMEOUT_MS": "300"},
        )
        connection.exec_driver_sql("ROLLBACK")
    holder.dispose()
    assert busy.returncode == exit_codes.DATABASE_BUSY, busy.stderr
    assert len(busy.stderr.strip().splitlines()) == 1, busy.stderr
    assert "busy" in busy.stderr
