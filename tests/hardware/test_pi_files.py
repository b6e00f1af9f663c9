"""The Raspberry Pi install files say what the deployment needs (unit, udev rules, script)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

PI = Path(__file__).resolve().parents[2] / "hardware" / "pi"


def test_the_unit_restarts_always_as_an_unprivileged_dialout_user() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(PI / "fabdesk-driver@.service")
    service = unit["Service"]
    assert service["Restart"] == "always"
    assert service["User"] not in ("", "root")
    assert "dialout" in service["SupplementaryGroups"].split()
    assert service["ExecStart"].split()[0].endswith("/fabdesk-driver")
    assert "--config /etc/fabdesk/%i.toml" in service["ExecStart"]
    assert service["NoNewPrivileges"] == "true"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_udev_rules_give_stable_names_in_dialout_or_input() -> None:
    rules = [
        line
        for line in (PI / "99-fabdesk.rules").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert rules
    for rule in rules:
        assert 'SYMLINK+="fabdesk-' in rule
        if 'SUBSYSTEM=="input"' in rule:  # a keyboard-type badge reader (docs/badges.md)
            assert 'GROUP="input"' in rule
            assert 'ENV{LIBINPUT_IGNORE_DEVICE}="1"' in rule
        else:
            assert 'SUBSYSTEM=="tty"' in rule
            assert 'GROUP="dialout"' in rule


def test_the_install_script_is_valid_shell() -> None:
    subprocess.run(["sh", "-n", str(PI / "install.sh")], check=True)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    unit = tmp_path / "fabdesk-driver@laser1.service"
    unit.write_text((PI / "fabdesk-driver@.service").read_text())
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True
    )
    assert "Unknown key" not in result.stderr
    assert "Invalid" not in result.stderr
