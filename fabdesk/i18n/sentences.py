"""A service's refusal as sentences in a person's language, with readable parameters: what the
kiosk shows and what the maker API answers (pure: no Textual here)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from fabdesk.errors import FabdeskError, Localized, RuleViolation

__all__ = ["humanise", "render_error"]

_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def humanise(params: Mapping[str, Any], language: str = "en") -> dict[str, Any]:
    """Parameters as a person reads them: ISO instants as "24/11 10:00", days as "24/11/2026",
    names given in every language in the reader's."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Localized):
            value = value.in_language(language)
        elif isinstance(value, str) and _ISO_INSTANT.match(value):
            with contextlib.suppress(ValueError):
                value = datetime.fromisoformat(value).strftime("%d/%m %H:%M")
        elif isinstance(value, str) and _ISO_DAY.match(value):
            value = date.fromisoformat(value).strftime("%d/%m/%Y")
        elif isinstance(value, datetime):
            value = value.strftime("%d/%m %H:%M")
        elif isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        shown[key] = value
    return shown


def render_error(error: FabdeskError, gettext: Callable[[str], str], language: str = "en") -> str:
    """A refusal as one or more translated sentences with readable parameters."""
    if isinstance(error, RuleViolation):
        return " ".join(
            gettext(v.template).format(**humanise(v.params, language)) for v in error.violations
        )
    return gettext(error.template).format(**humanise(error.params, language))
