"""The real `fabdesk kiosk` in a real terminal (tmux): it starts, a maker scans a badge, the board
shows, Ctrl+Q quits. The screen is read with `tmux capture-pane`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from fabdesk.db import make_engine, session_scope, upgrade
from fabdesk.settings import DatabaseSettings
from inventory.makers import get_maker
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
    seed_lab(engine)
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
        maker = get_maker(session, "M00002")
    engine.dispose()
    terminal.type(maker.badge_id or "")
    terminal.keys("Enter")
    terminal.wait_for(maker.name)
    board = terminal.wait_for("Trotec Speedy 360 #1")
    assert board.rstrip().splitlines()[-1].strip().startswith("↑↓←→")
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
