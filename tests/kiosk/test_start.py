"""The kiosk's start: Welcome is drawn before the database layer and the services are imported,
and a badge scanned before they are loaded is answered once they are, not lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from fabdesk.db import Engine
from fabdesk.settings import Settings
from kiosk.app import KioskApp
from kiosk.screens.board import BoardScreen
from kiosk.screens.welcome import WelcomeScreen
from tests.kiosk.conftest import NOW, SIZE, Lab, Ticker, kiosk_settings
from tests.kiosk.pilot import scan, screen_text, settle

FIRST_FRAME = """
import json, sys
before = set(sys.modules)
from kiosk.app import KioskApp

def first_frame(self):
    imported = sorted(set(sys.modules) - before)
    print(json.dumps({"imported": imported, "language": self.language}), flush=True)
    self.exit()

KioskApp.on_ready = first_frame  # the real `fabdesk kiosk`, stopped at its first frame
sys.argv = ["fabdesk", *sys.argv[1:], "kiosk", "--site", "cityfab1"]
from fabdesk.cli import main
main()
"""

LOADED_LATER = ("fabdesk.db", "fabdesk.models", "fabdesk.accounting", "fabdesk.usage",
                "inventory", "scheduling", "sqlalchemy", "sqlmodel", "alembic", "pydantic",
                "pydantic_core")  # fmt: skip


def first_frame(tmp_path: Path, *options: str, **variables: str) -> dict[str, Any]:
    """What the real `fabdesk [options] kiosk` had imported at its first frame, and its language."""
    env = {
        **os.environ,
        "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver",
        "FABDESK_DATABASE__URL": f"sqlite:///{tmp_path / 'fabdesk.db'}",
        "XDG_DATA_HOME": str(tmp_path),
        **variables,
    }
    child = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, *options],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    frame: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return frame


def test_the_first_frame_waits_for_no_database_code_and_no_settings(tmp_path: Path) -> None:
    """The whole command, its log file included (its first log line once imported SQLAlchemy,
    in a logging filter, and held the first frame back by a quarter of a second). The settings
    are loaded after that frame too: pydantic and their twenty models were a quarter of the
    kiosk's start (docs/startup.md)."""
    imported = first_frame(tmp_path)["imported"]
    assert "kiosk.screens.welcome" in imported
    early = [name for name in imported if name.split(".")[0] in LOADED_LATER
             or name.startswith(LOADED_LATER) or name == "fabdesk.settings"]  # fmt: skip
    assert early == []


def test_welcome_is_drawn_in_the_configured_language_before_the_settings_load(
    tmp_path: Path,
) -> None:
    """The language is peeked at (variable over file, as the settings read them) for the
    first frame; without one, the settings' default."""
    config = tmp_path / "fabdesk.toml"
    config.write_text('[kiosk]\nlanguage = "en"\n', encoding="utf-8")
    assert first_frame(tmp_path)["language"] == "fr"
    assert first_frame(tmp_path, "--config", str(config))["language"] == "en"
    variable = {"fabdesk_kiosk__language": "nl"}
    assert first_frame(tmp_path, "--config", str(config), **variable)["language"] == "nl"


async def test_a_badge_scanned_while_the_kiosk_loads_opens_the_board(
    lab: Lab, settings: Settings, engine: Engine, ticker: Ticker
) -> None:
    """The loader is held until the badge is in: Welcome is there already and takes it; the
    board opens once the engine is there."""
    released = threading.Event()

    def connect() -> Engine:
        assert released.wait(20), "the test never released the loader"
        return engine

    app = KioskApp.of(
        kiosk_settings(settings, language="nl"),
        connect=connect,
        clock=lambda: NOW,
        monotonic=ticker,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*(lab.fr_maker.badge_id or ""), "enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, WelcomeScreen)
        assert "Welkom" in screen_text(app)
        assert not app.loaded.done()
        released.set()
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert app.maker is not None
        assert app.maker.maker_id == lab.fr_maker.id
        assert app.incidents == []


async def test_the_lab_at_a_glance_comes_once_loaded(
    lab: Lab, settings: Settings, engine: Engine
) -> None:
    released = threading.Event()

    def connect() -> Engine:
        assert released.wait(20), "the test never released the loader"
        return engine

    app = KioskApp.of(kiosk_settings(settings, language="en"), connect=connect)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        welcome = app.screen
        assert isinstance(welcome, WelcomeScreen)
        assert "Welcome! Scan your badge" in screen_text(app)
        assert welcome.machines == []
        released.set()
        await settle(pilot)
        assert len(welcome.machines) == 16
        assert "Cityfab1 Laeken" in screen_text(app)
        await scan(pilot, "NOPE-1234")
        assert "This badge is not known here." in screen_text(app)


async def test_until_the_board_says_the_sites_zone_the_kiosk_uses_the_networks(
    settings: Settings, engine: Engine
) -> None:
    """The network's zone comes from the settings, not from a literal in the kiosk."""
    scheduler = settings.scheduler.model_copy(update={"timezone": "Europe/Lisbon"})
    network = settings.model_copy(update={"scheduler": scheduler})
    app = KioskApp.of(kiosk_settings(network, language="en"), connect=lambda: engine)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.timezone == "Europe/Lisbon"
