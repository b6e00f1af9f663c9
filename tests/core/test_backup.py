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
