"""One Settings object: FABDESK_* environment variables over an optional TOML file over defaults."""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from fabdesk.errors import ConfigError

CONFIG_ENV = "FABDESK_CONFIG"
"""Environment variable naming the TOML file to read, when `--config` is not given."""

Language = Literal["fr", "nl", "en"]


def data_dir() -> Path:
    """Where fabdesk keeps its files by default (the user's data directory)."""
    return Path(platformdirs.user_data_dir("fabdesk", appauthor=False))


class Section(BaseModel):
    """A settings section: unknown keys are refused so that a typo is caught."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class DatabaseSettings(Section):
    url: str = ""
    """SQLAlchemy URL: `sqlite:///path/fabdesk.db` or `postgresql://user:pw@host/db`. Empty means a
    SQLite file in the user's data directory."""
    busy_timeout_ms: int = Field(default=5000, ge=0)
    """How long a SQLite writer waits for the lock before it gives up."""
    pool_size: int = Field(default=5, ge=1)
    """PostgreSQL connections kept open per process."""
    echo: bool = False
    """Log every SQL statement (debugging only)."""

    def resolved_url(self) -> str:
        """The URL to connect to, with the default SQLite file filled in."""
        if self.url:
            return self.url
        return f"sqlite:///{data_dir() / 'fabdesk.db'}"


class ApiSettings(Section):
    host: str = "127.0.0.1"
    """Address `fabdesk serve` listens on."""
    port: int = Field(default=8750, ge=1, le=65535)
    """Port `fabdesk serve` listens on."""
    manager_token: SecretStr = SecretStr("")
    """Bearer token for manager reports; empty disables them."""
    public_url: str = "http://127.0.0.1:8750"
    """The address people and drivers use to reach the server (used in labels and feeds)."""
    device_requests_per_second: float = Field(default=20.0, gt=0)
    """Requests a driver device may make per second, on average (above it: 429 Retry-After)."""
    device_burst: int = Field(default=60, ge=1)
    """Requests a driver device may make at once after a quiet spell (outbox catch-up)."""
    device_cache_seconds: float = Field(default=2.0, ge=0)
    """How long the server trusts a device token it has checked before checking it again: a
    revoked token is refused at most this long after `fabdesk device revoke`. 0 checks every
    request."""
    workers: int = Field(default=1, ge=1)
    """uvicorn worker processes of `fabdesk serve` (rate limits are per process)."""


class SchedulerSettings(Section):
    enabled: bool = True
    """Run the background jobs inside `fabdesk serve`."""


class KioskSettings(Section):
    site: str = "cityfab1"
    """Code of the site this kiosk stands in."""
    language: Language = "fr"
    """Language of the welcome screen before a maker is known."""
    idle_seconds: int = Field(default=60, ge=5)
    """Seconds without a key before the kiosk forgets the maker and goes back to Welcome."""


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Lowest level written."""
    json_lines: bool = False
    """Write JSON lines (for services) instead of readable console lines."""


class Settings(BaseSettings):
    """Every setting of fabdesk. Environment: FABDESK_<SECTION>__<FIELD>, e.g.
    FABDESK_DATABASE__URL."""

    model_config = SettingsConfigDict(
        env_prefix="FABDESK_",
        env_nested_delimiter="__",
        extra="forbid",
        use_attribute_docstrings=True,
    )

    database: DatabaseSettings = DatabaseSettings()
    """Where the data lives."""
    api: ApiSettings = ApiSettings()
    """The HTTP server."""
    scheduler: SchedulerSettings = SchedulerSettings()
    """The background jobs."""
    kiosk: KioskSettings = KioskSettings()
    """The terminal at each lab."""
    logging: LoggingSettings = LoggingSettings()
    """Log output."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the TOML file, which arrives as init values.
        return (env_settings, init_settings)

    def fingerprint(self) -> str:
        """A short hash of the settings (secrets masked), for log headers."""
        raw = json.dumps(self.model_dump(mode="json"), sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]

    def masked(self) -> dict[str, Any]:
        """The settings as plain data with every secret shown as ********."""
        return self.model_dump(mode="json")


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from the TOML file at `path` (or $FABDESK_CONFIG), then `overrides`, under the
    environment, which wins."""
    values: dict[str, Any] = {}
    path = path or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if path is not None:
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("Settings file {path} does not exist.", path=str(path)) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                "Settings file {path} is not valid TOML: {reason}", path=str(path), reason=str(exc)
            ) from None
    values = _merge(values, overrides or {})
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            "Setting {name} is wrong: {reason}", name=where, reason=first["msg"]
        ) from None
