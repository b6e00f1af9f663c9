"""Backups taken while writers commit hold every committed row; restores bring them back."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import col, select

from fabdesk.db import Engine, session_scope
from fabdesk.errors import NotFound
from fabdesk.models import Maker
from fabdesk.ops.backup import backup, restore
from inventory.makers import NewMaker, register_maker


def _member_numbers(engine: Engine) -> set[str]:
    with session_scope(engine) as session:
        return set(session.exec(select(Maker.member_number).order_by(col(Maker.id))))


def test_backup_during_writes_then_restore(engine: Engine, tmp_path: Path) -> None:
    committed: list[str] = []
    stop = threading.Event()
    started = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with session_scope(engine) as session:
                register_maker(session, NewMaker(f"W{n:06d}", f"Writer {n}"))
            committed.append(f"W{n:06d}")
            if n == 20:
                started.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert started.wait(30)
        before = set(committed)
        report = backup(engine, tmp_path / "copy" / "fabdesk.backup")
        done_at = len(committed)
        for _ in range(600):  # writers go on after the backup
            if len(committed) >= done_at + 5:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join()
    assert report.bytes > 0
    everything = set(committed)
    assert _member_numbers(engine) == everything

    restore(engine, report.path)
    restored = _member_numbers(engine)
    assert before <= restored <= everything
    assert restored != everything, "rows committed after the backup came back from it"


def test_restore_of_a_missing_file_is_a_clear_error(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no backup file"):
        restore(engine, tmp_path / "nope.db")


def test_verify_restores_into_a_temporary_place_and_checks_the_ledger(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    from fabdesk.ops.backup import verify_backup
    from tests.peers.conftest import cli

    with session_scope(engine) as session:
        register_maker(session, NewMaker("V-1", "Vera"))
    copy = backup(engine, tmp_path / "copy.backup").path
    report = verify_backup(engine, copy)
    assert report.ok
    assert _member_numbers(engine) >= {"V-1"}  # the live database is left as it was
    verified = cli(database_url, "backup", str(tmp_path / "again.backup"), "--verify")
    assert verified.exit_code == 0, verified.output
    assert "the ledger balances" in verified.stdout
    with pytest.raises(NotFound):
        verify_backup(engine, tmp_path / "missing.backup")


def test_retention_keeps_dailies_then_weeklies_then_nothing(tmp_path: Path) -> None:
    from datetime import datetime, timedelta

    from fabdesk.ops.backup import prune_backups

    now = datetime(2026, 12, 6, 3, 0)
    for days in range(60):  # one backup a night for sixty nights
        taken = now - timedelta(days=days, hours=1)
        (tmp_path / f"fabdesk-{taken:%Y%m%d-%H%M%S}.db").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a backup")
    deleted = prune_backups(tmp_path, now=now, daily_days=7, keep_days=35)
    kept = sorted(p.name for p in tmp_path.glob("fabdesk-*"))
    ages = sorted((now - datetime.strptime(n[8:23], "%Y%m%d-%H%M%S")).days for n in kept)
    assert ages[:7] == list(range(7))  # every night of the last week
    assert all(age <= 35 for age in ages)  # nothing older than the retention
    weeks = {datetime.strptime(n[8:23], "%Y%m%d-%H%M%S").isocalendar()[:2] for n in kept}
    assert len(kept) - 7 <= len(weeks)  # beyond a week: one a week
    assert len(deleted) + len(kept) == 60
    assert (tmp_path / "notes.txt").exists()
