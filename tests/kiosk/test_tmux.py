"""The real `fabdesk kiosk` in a real terminal (tmux): it starts, a maker scans a badge, the board
shows, a slot is booked, Ctrl+Q quits. The screen is read with `tmux capture-pane`. The kiosk
runs on the real clock: it books the first free slot of today, when the lab has one left."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from fabdesk.db import make_engine, session_scope, upgrade
from fabdesk.models import Maker
from fabdesk.settings import DatabaseSettings
from inventory.makers import certify, get_maker
from kiosk.views import read_board
from tests.kiosk.conftest import seed_lab

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

FABDESK = Path(sys.executable).parent / "fabdesk"


class Terminal:
    """A detached tmux session on its own server socket, running one command."""

    def __init__(self, command: list[str], env: dict[str, str], size: tuple[int, int]) -> None:
        self.socket = f"fabdesk-test-{uuid.uuid4().hex[:8]}"
        width, height = size
        self.tmux(
            "new-session", "-d", "-s", "kiosk", "-x", str(width), "-y", str(height),
            *[f"-e{k}={v}" for k, v in env.items()],
            " ".join(command),
        )  # fmt: skip

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False
        ).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "kiosk")

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "kiosk", "-l", text)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "kiosk", *keys)

    def alive(self) -> bool:
        return "kiosk" in self.tmux("list-sessions")

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'kiosk.db'}"
    engine = make_engine(DatabaseSettings(url=url))
    upgrade(engine)
    lab = seed_lab(engine)
    with session_scope(engine) as session:  # the maker of the test may use every machine
        maker = get_maker(session, lab.en_maker.member_number)
        for code in ("cnc", "resin", "vinyl", "embroidery"):
            certify(session, maker, code, granted_on=date.today() - timedelta(days=1))
    engine.dispose()
    return url


@pytest.fixture
def terminal(database: str, tmp_path: Path) -> Iterator[Terminal]:
    env = {
        "FABDESK_DATABASE__URL": database,
        "FABDESK_KIOSK__LANGUAGE": "en",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "TERM": "xterm-256color",
        "COLUMNS": "110",
        "LINES": "36",
        "PATH": os.environ.get("PATH", ""),
    }
    term = Terminal([str(FABDESK), "kiosk", "--site", "cityfab1"], env, (110, 36))
    yield term
    term.close()


def test_the_real_kiosk_greets_a_maker_and_quits(terminal: Terminal, database: str) -> None:
    screen = terminal.wait_for("Welcome! Scan your badge")
    assert "Cityfab1 Laeken" in terminal.wait_for("Cityfab1 Laeken")
    assert "Traceback" not in screen
    engine = make_engine(DatabaseSettings(url=database))
    with session_scope(engine) as session:
        maker = session.exec(select(Maker).where(Maker.language == "en").order_by(
            Maker.member_number)).first()  # fmt: skip
        assert maker is not None
        view = read_board(
            engine, "cityfab1", now=datetime.now(UTC), maker_id=None, timezone="Europe/Brussels"
        )
    engine.dispose()
    terminal.type(maker.badge_id or "")
    terminal.keys("Enter")
    terminal.wait_for(maker.name)
    board = terminal.wait_for("Trotec Speedy 360 #1")
    assert board.rstrip().splitlines()[-1].strip().startswith("↑↓←→")
    if any(slot.kind == "free" for row in view.rows for slot in row.slots):
        # The cursor starts on the first free slot of the day: book it for an hour.
        terminal.keys("Enter")
        terminal.wait_for("Book a slot")
        terminal.keys("Enter")
        terminal.wait_for("Booked: ")
    else:  # the lab is closed, or its day is over: nothing to book from a real clock
        assert "free" not in board.split("past", 1)[-1]
    terminal.keys("Escape")
    terminal.wait_for("Welcome! Scan your badge")
    terminal.type("NO-SUCH-BADGE")
    terminal.keys("Enter")
    terminal.wait_for("This badge is not known here.")
    terminal.keys("C-q")
    deadline = time.monotonic() + 10
    while terminal.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not terminal.alive()
