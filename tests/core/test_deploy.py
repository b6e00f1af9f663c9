"""The deployment files: example settings load, and every systemd unit runs a real command."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from fabdesk.cli._lazy import load_all
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
    oneshot = unit["Service"].get("Type") == "oneshot"  # the backup: runs, ends, retried
    assert unit["Service"]["Restart"] == ("on-failure" if oneshot else "always")
    assert unit["Service"]["User"] == "fabdesk", "services never run as root"
    commands = load_all().commands  # every area's commands, whatever ran before
    for key in ("ExecStartPre", "ExecStart"):
        if key in unit["Service"]:
            argv = shlex.split(unit["Service"][key])
            assert argv[0].endswith("/fabdesk")
            assert argv[1] in commands, f"{path.name}: `fabdesk {argv[1]}` does not exist"


UNITS = sorted(
    [*(DEPLOY / "systemd").glob("*.service"), DEPLOY.parent / "hardware/pi/fabdesk-driver@.service"]
)


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_every_unit_is_hardened(path: Path) -> None:
    """UMask=0077 (private files whatever the login's umask), and an exposure of 5.0 or lower by
    `systemd-analyze security --offline` where systemd-analyze is installed."""
    import shutil
    import subprocess

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(path)
    assert unit["Service"]["UMask"] == "0077"
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    result = subprocess.run(
        [analyze, "security", "--offline=true", "--threshold=50", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]


def test_the_readme_install_steps_let_the_service_read_its_settings(tmp_path: Path) -> None:
    """The README's one-lab steps, run as written (into a scratch /etc, with this user's group
    for `fabdesk`): the settings are 0640 and group-readable by the service's group."""
    import grp
    import os
    import pwd
    import stat
    import subprocess

    readme = (DEPLOY.parent / "README.md").read_text()
    block = readme.split("### One lab (one small machine, SQLite)", 1)[1].split("```bash", 1)[1]
    steps = [
        line.split("#")[0].strip().removeprefix("sudo ")
        for line in block.split("```", 1)[0].splitlines()
        if "/etc/fabdesk" in line and line.strip().startswith("sudo install")
    ]
    assert len(steps) >= 2, "the README's install steps for the settings are gone"
    group = grp.getgrgid(os.getgid()).gr_name
    user = pwd.getpwuid(os.getuid()).pw_name
    for step in steps:
        assert "-g fabdesk" in step, f"{step!r} leaves the settings unreadable to the service"
        command = (
            step.replace("/etc/fabdesk", str(tmp_path / "etc"))
            .replace("-g fabdesk", f"-g {group}")
            .replace("-o root", f"-o {user}")
        )
        subprocess.run(command, shell=True, check=True, cwd=DEPLOY.parent)
    for settings in (tmp_path / "etc").glob("*.toml"):
        mode = settings.stat()
        assert stat.S_IMODE(mode.st_mode) == 0o640
        assert mode.st_gid == os.getgid()
    assert stat.S_IMODE((tmp_path / "etc").stat().st_mode) == 0o750
