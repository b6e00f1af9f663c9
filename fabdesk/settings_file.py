"""Where settings are written, read as plain values: the TOML file (`--config`, else
$FABDESK_CONFIG) and the FABDESK_* variables. Without pydantic: `fabdesk.settings` validates
these values into the one Settings object every path uses; the kiosk only peeks here at the
language to draw Welcome in before its loader has that object (docs/startup.md)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from fabdesk.errors import ConfigError

CONFIG_ENV = "FABDESK_CONFIG"
"""Environment variable naming the TOML file to read, when `--config` is not given."""
ENV_PREFIX = "FABDESK_"
"""Every setting can be given as FABDESK_<SECTION>__<FIELD>[__<FIELD>…], in any case."""
KIOSK_LANGUAGE: Final = "fr"
"""The kiosk's language when the settings name none (`kiosk.language`'s default), known here so
that Welcome is drawn in it before the settings are loaded."""


def setting_path(variable: str) -> list[str] | None:
    """The setting a FABDESK_* variable names, as its path (`FABDESK_KIOSK__LANGUAGE`, any
    case: `["kiosk", "language"]`); None for another variable."""
    if not variable.upper().startswith(ENV_PREFIX):
        return None
    return variable[len(ENV_PREFIX) :].lower().split("__")


def read_file(path: Path | None) -> dict[str, Any]:
    """The settings file's values: `path`, else $FABDESK_CONFIG's, else none."""
    path = path or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("Settings file {path} does not exist.", path=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            "Settings file {path} is not valid TOML: {reason}", path=str(path), reason=str(exc)
        ) from None


def given(path: Path | None, section: str, name: str, environ: Mapping[str, str]) -> Any:
    """One plain setting as written (its variable over the file), not validated; None when it
    is not written (its default applies). A wrong value is refused when the settings load."""
    for key, value in environ.items():
        if setting_path(key) == [section, name]:
            return value
    section_values = read_file(path).get(section)
    return section_values.get(name) if isinstance(section_values, dict) else None
