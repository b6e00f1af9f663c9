"""The driver's TOML file: what a Pi owner writes, and clear refusals of what cannot work."""

from __future__ import annotations

import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.config import GrblConfig, OctoPrintConfig, load_config
from drivers.errors import DriverConfigError
from drivers.uplink import tls_for

GOOD = """
[server]
url = "https://fabdesk.example.org"
token = "s3cret"

[machine]
kind = "grbl"
port = "/dev/fabdesk-laser1"

[machine.bridge]
tcp = "0.0.0.0:8760"

[outbox]
path = "/var/lib/fabdesk-driver/laser1/outbox.db"
"""


def test_a_grbl_config_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "driver.toml"
    path.write_text(GOOD)
    config = load_config(path)
    assert isinstance(config.machine, GrblConfig)
    assert config.machine.poll_seconds == 0.2
    assert config.machine.baudrate == 115200
    assert config.machine.bridge.tcp == "0.0.0.0:8760"
    assert config.server.token.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(config)


def test_an_octoprint_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "driver.toml"
    path.write_text(
        '[server]\nurl = "http://10.0.0.2:8750"\ntoken = "t"\n'
        '[machine]\nkind = "octoprint"\nurl = "http://127.0.0.1:5000"\napi_key = "k"\n'
        "filament_density_g_cm3 = 1.27\n"
    )
    machine = load_config(path).machine
    assert isinstance(machine, OctoPrintConfig)
    assert machine.filament_density_g_cm3 == 1.27


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[server]\nurl = 'x'\n", "server.url"),
        (GOOD.replace('kind = "grbl"', 'kind = "plasma"'), "machine"),
        (GOOD + "\n[mystery]\n", "mystery"),
        ("not = [toml", "not valid TOML"),
    ],
)
def test_a_bad_config_says_what_is_wrong(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "driver.toml"
    path.write_text(text)
    with pytest.raises(DriverConfigError, match=says):
        load_config(path)


def test_the_daemon_refuses_a_bad_config_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "driver.toml"
    path.write_text("[server]\n")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "fabdesk-driver"), "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "server.url" in result.stderr


def test_certificates_are_checked_for_https_only() -> None:
    assert tls_for("http://10.0.0.2:8750") is False
    context = tls_for("https://fabdesk.example.org")
    if isinstance(context, ssl.SSLContext):
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname
    else:
        assert context is True
