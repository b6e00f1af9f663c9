"""The deployment files: example settings load, and every systemd unit runs a real command."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest
import typer.main

from fabdesk.cli import app
from fabdesk.settings import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.mark.parametrize("path", sorted((DEPLOY / "examples").glob("*.toml")), ids=lambda p: p.name)
def test_example_settings_load(path: Path) -> None:
    settings = load_settings(path)
    assert settings.database.url


@pytest.mark.parametrize(
    "path", sorted((DEPLOY / "systemd").glob("*.service")), ids=lambda p: p.name
)
def test_units_run_fabdesk_commands_that_exist(path: Path) -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(path)
    assert unit["Service"]["Restart"] == "always"
    assert unit["Service"]["User"] == "fabdesk", "services never run as root"
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    for key in ("ExecStartPre", "ExecStart"):
        if key in unit["Service"]:
            argv = shlex.split(unit["Service"][key])
            assert argv[0].endswith("/fabdesk")
            assert argv[1] in commands, f"{path.name}: `fabdesk {argv[1]}` does not exist"
