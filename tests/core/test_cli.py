"""The `fabdesk` command as a person runs it: a real process, its help, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fabdesk import exit_codes
from fabdesk.cli import app
from fabdesk.cli._lazy import load_all
from tests.support.cli import fabdesk


def _command_paths() -> list[list[str]]:
    root = load_all()  # every area: the command line imports only what a command needs
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        paths.append(prefix)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*prefix, name])

    walk(root, [])
    return paths


def test_the_real_command_explains_itself() -> None:
    result = fabdesk("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert "demo" in result.stdout


def test_the_help_lists_every_command_without_importing_them() -> None:
    """`fabdesk --help` lists the commands from the registry, which matches the real tree
    (regenerate it with `python -m fabdesk.cli._lazy`), and loads no database library."""
    import fabdesk.cli
    from fabdesk.cli._commands import COMMANDS
    from fabdesk.cli._lazy import AREAS, registry

    modules = {path.stem for path in Path(fabdesk.cli.__file__).parent.glob("[!_]*.py")}
    assert modules == set(AREAS), "every command module is an area the lazy group can load"
    assert registry() == COMMANDS
    assert all(areas for areas, _ in COMMANDS.values()), "each command names where it lives"
    code = (
        "import sys\nfrom fabdesk.cli import main\nsys.argv = ['fabdesk', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'sqlmodel', "
        "'pydantic', 'textual', 'fastapi', 'reportlab'}), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stderr.strip() == "[]"
    assert all(name in result.stdout for name in ("book", "holidays", "policy", "walk-in"))


def test_a_command_built_alone_is_the_one_of_the_whole_tree() -> None:
    """A command runs as `fabdesk.cli._lazy.command` builds it, alone (the CPU budget of a
    command: issue 16): the same name, help, parameters and subcommands as in the whole tree."""
    from fabdesk.cli._commands import COMMANDS
    from fabdesk.cli._lazy import command

    whole = load_all()
    for name in COMMANDS:
        assert _shape(command(name)) == _shape(whole.commands[name]), name


def _shape(command: Any) -> tuple[Any, ...]:
    """What a person sees of a command: its help, its parameters, its subcommands."""
    params = [
        (p.name, p.opts, p.secondary_opts, repr(p.default), p.required, p.help, p.metavar)
        for p in command.params
    ]
    helps = (command.name, command.help, command.short_help, command.hidden)
    subcommands = {name: _shape(sub) for name, sub in getattr(command, "commands", {}).items()}
    return helps, params, subcommands


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p) or "fabdesk")
def test_every_command_explains_itself(path: list[str]) -> None:
    """In-process (one real process above is enough): every command has help that renders."""
    import typer.main
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output

    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    assert command.help, f"`fabdesk {' '.join(path)}` has no help text"


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    result = fabdesk("init", env={"FABDESK_DATABASE__URL": "mysql://root@db/fabdesk"})
    assert result.returncode == exit_codes.CONFIG
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert "sqlite:///" in result.stderr


def test_unreachable_postgresql_is_one_line() -> None:
    result = fabdesk("init", env={"FABDESK_DATABASE__URL": "postgresql://x@127.0.0.1:1/fabdesk"})
    assert result.returncode == exit_codes.DATABASE_UNAVAILABLE
    assert result.stderr.startswith("error: Cannot reach the database")
    assert "Traceback" not in result.stderr


def test_bad_enterprise_number_is_one_line(tmp_path: Path) -> None:
    env = {"FABDESK_DATABASE__URL": f"sqlite:///{tmp_path / 'f.db'}"}
    assert fabdesk("init", env=env).returncode == 0
    result = fabdesk(
        "makers", "add", "M1", "Ana Peeters", "--enterprise-number", "0123.456.748", env=env
    )
    assert result.returncode == exit_codes.INVALID_VALUE
    assert "check number" in result.stderr
    assert result.stderr.count("\n") == 1
    good = fabdesk(
        "makers", "add", "M1", "Ana Peeters", "--enterprise-number", "0123.456.749", env=env
    )
    assert good.returncode == 0, good.stderr


def test_init_seed_and_list_sites(tmp_path: Path) -> None:
    env = {"FABDESK_DATABASE__URL": f"sqlite:///{tmp_path / 'f.db'}"}
    first = fabdesk("seed", env=env)
    assert first.returncode == 0, first.stderr
    assert "200" in first.stdout
    again = fabdesk("seed", env=env)
    assert "Nothing to add" in again.stdout
    listing = fabdesk("sites", env=env)
    assert listing.returncode == 0
    for name in ("Cityfab1 Laeken", "Cityfab2 Evere", "Cityfab3 Anderlecht", "CF1-00001-R"):
        assert name in listing.stdout


def test_settings_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "fabdesk.toml"
    config.write_text(
        '[kiosk]\nsite = "cityfab2"\n[scheduler.smtp]\npassword = "s3cret"\n'
        '[database]\nurl = "postgresql://fab:pa55word@db.example:5432/fab"\n'
    )
    result = fabdesk("--config", str(config), "config", "show", env={"FABDESK_API__PORT": "9999"})
    assert result.returncode == 0, result.stderr
    assert '"site": "cityfab2"' in result.stdout
    assert '"port": 9999' in result.stdout
    assert "s3cret" not in result.stdout
    assert "pa55word" not in result.stdout
    assert "postgresql://fab:********@db.example:5432/fab" in result.stdout


def test_broken_settings_file_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "fabdesk.toml"
    config.write_text("[kiosk]\nsite = \n")
    result = fabdesk("--config", str(config), "config", "show")
    assert result.returncode == exit_codes.CONFIG
    assert "not valid TOML" in result.stderr
    config.write_text("[kiosk]\nidle_secnds = 3\n")
    result = fabdesk("--config", str(config), "config", "show")
    assert result.returncode == exit_codes.CONFIG
    assert "kiosk.idle_secnds" in result.stderr
