"""The environment's part of the settings: FABDESK_<SECTION>__<FIELD>, over the TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from fabdesk.errors import ConfigError
from fabdesk.settings import load_settings


def test_variables_nest_at_each_double_underscore_in_any_case(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FABDESK_SCHEDULER__BOOKING__MAX_MINUTES", "60")
    monkeypatch.setenv("fabdesk_api__port", "9999")
    monkeypatch.setenv("FABDESK_CONFIG_UNUSED", "not a setting")  # names no section
    monkeypatch.setenv("FABDESK_BENCH_BEFORE", "/tmp")
    settings = load_settings()
    assert settings.scheduler.booking.max_minutes == 60
    assert settings.api.port == 9999


def test_the_environment_wins_over_the_file_field_by_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "fabdesk.toml"
    config.write_text('[api]\nport = 8100\nhost = "127.0.0.1"\n', encoding="utf-8")
    monkeypatch.setenv("FABDESK_API__PORT", "8200")
    settings = load_settings(config)
    assert (settings.api.port, settings.api.host) == (8200, "127.0.0.1")


def test_a_section_or_a_mapping_is_given_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FABDESK_DATABASE", '{"url": "sqlite:///lab.db", "busy_timeout_ms": 10}')
    monkeypatch.setenv(
        "FABDESK_ACCOUNTING__MATERIALS",
        '{"resin": {"name": "Resin", "price_cents_per_kg": 9000, "cost_cents_per_kg": 6000}}',
    )
    settings = load_settings()
    assert settings.database.url == "sqlite:///lab.db"
    assert settings.database.busy_timeout_ms == 10
    assert list(settings.accounting.materials) == ["resin"]


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("FABDESK_DATABASE", "{url: oops", "Setting FABDESK_DATABASE is wrong: not JSON"),
        ("FABDESK_API__PORTT", "1", "Setting api.portt is wrong"),
        ("FABDESK_API__PORT", "eighty", "Setting api.port is wrong"),
    ],
)
def test_a_wrong_variable_is_one_readable_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, said: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value).startswith(said)
