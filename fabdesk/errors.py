"""Typed errors: every failure a person or a peer may see is one of these.

FabdeskError                 root; `code` is a fixed, documented key, `str()` gives English
├── ConfigError              settings that cannot work (bad database URL, bad TOML file)
├── DatabaseUnavailable      the database does not answer
│   └── DatabaseBusy         another writer held the database's lock past the busy timeout
├── NotFound                 no such site, item, maker, booking…
├── Conflict                 the change collides with the current state (duplicate tag, overlap…)
├── InvalidValue             a value is malformed (bad enterprise number, bad asset tag…)
├── RuleViolation            refused by business rules; carries the list of violations
├── ImportRejected           an import file is wrong at a line and field; nothing was written
├── LedgerImbalance          a transaction whose postings do not sum to zero
├── DriverProtocolError      a machine said something that cannot be understood
├── UplinkError              the server could not be reached or refused a batch
├── Unauthenticated          no credentials, or credentials the server does not know (or revoked)
└── AccessDenied             known credentials, but not for this (another machine's data…)

The message is an English template with `{name}` placeholders: it is the gettext msgid that the
kiosk translates, then formats with `params`. Codes never change once published.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class Localized(dict[str, str]):
    """A parameter with one text per language (`Localized(en=…, fr=…, nl=…)`), such as a machine
    category's name. It formats as English; the kiosk picks the maker's language."""

    def __format__(self, spec: str) -> str:
        return format(self.get("en", ""), spec)

    def __str__(self) -> str:
        return self.get("en", "")

    def in_language(self, language: str) -> str:
        return self.get(language) or self.get("en", "")


@dataclass(frozen=True)
class Count:
    """A parameter that is a number said with the plural form of the reader's language:
    `forms` are the singular and plural msgids (`("{n} day late", "{n} days late")`), plural
    entries of the catalogues. It formats as English; a refusal or a letter says it in the
    reader's language ("1 jour de retard", "3 jours de retard")."""

    forms: tuple[str, str]
    n: int

    def __format__(self, spec: str) -> str:
        return format(self.forms[self.n != 1].format(n=self.n), spec)

    def __str__(self) -> str:
        return format(self)

    def in_language(self, language: str) -> str:
        from fabdesk.i18n import translator

        return translator(language).ngettext(*self.forms, self.n).format(n=self.n)


_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def readable(params: Mapping[str, Any], language: str = "en") -> dict[str, Any]:
    """Parameters as a person reads them: local ISO instants as "24/11 10:00", days as
    "24/11/2026", names given in every language and counts in the reader's."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Localized | Count):
            value = value.in_language(language)
        elif isinstance(value, str) and _ISO_INSTANT.match(value):
            with contextlib.suppress(ValueError):
                value = datetime.fromisoformat(value).strftime("%d/%m %H:%M")
        elif isinstance(value, str) and _ISO_DAY.match(value):
            with contextlib.suppress(ValueError):  # what a person typed: 2026-13-45 stays as is
                value = date.fromisoformat(value).strftime("%d/%m/%Y")
        elif isinstance(value, datetime):
            value = value.strftime("%d/%m %H:%M")
        elif isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        shown[key] = value
    return shown


def _say(
    template: str, params: Mapping[str, Any], gettext: Callable[[str], str] | None, language: str
) -> str:
    return (gettext(template) if gettext else template).format(**readable(params, language))


class FabdeskError(Exception):
    """Root of every error fabdesk raises on purpose."""

    code: str = "error"

    def __init__(self, template: str, /, *, error_code: str | None = None, **params: Any) -> None:
        self.template = template
        self.params: dict[str, Any] = params
        if error_code is not None:
            self.code = error_code
        super().__init__(self.render())

    def render(self, gettext: Callable[[str], str] | None = None, language: str = "en") -> str:
        """The message, translated by `gettext` (the catalogue of `language`) when given, with
        its parameters filled in as a person reads them: the one way every path (kiosk, CLI,
        API) words a refusal."""
        return _say(self.template, self.params, gettext, language)

    def __str__(self) -> str:
        return self.render()


class ConfigError(FabdeskError):
    code = "config"


class DatabaseUnavailable(FabdeskError):
    code = "database_unavailable"


class DatabaseBusy(DatabaseUnavailable):
    code = "database_busy"


def database_error(exc: BaseException) -> DatabaseUnavailable:
    """The one-sentence error for a database that failed under a command or a request: locked
    (SQLite busy past its timeout) or unreachable (server down, network cut)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    if "locked" in first or "busy" in first:
        return DatabaseBusy(
            "The database is busy (another program holds its lock): try again in a moment.",
        )
    return DatabaseUnavailable(
        "The database does not answer ({reason}): check that it runs and that "
        "database.url is right, then try again.",
        reason=first[:200],
    )


class NotFound(FabdeskError):
    code = "not_found"


class Conflict(FabdeskError):
    code = "conflict"


class InvalidValue(FabdeskError):
    code = "invalid_value"


@dataclass(frozen=True)
class Violation:
    """One broken rule: a fixed code, an English template (the msgid) and its parameters."""

    code: str
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str] | None = None, language: str = "en") -> str:
        return _say(self.template, self.params, gettext, language)


class RuleViolation(FabdeskError):
    code = "rule_violation"

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        first = self.violations[0]
        super().__init__(first.template, error_code=first.code, **dict(first.params))

    def render(self, gettext: Callable[[str], str] | None = None, language: str = "en") -> str:
        return " ".join(v.render(gettext, language) for v in self.violations)


class ImportRejected(FabdeskError):
    code = "import_rejected"


class LedgerImbalance(FabdeskError):
    code = "ledger_imbalance"


class DriverProtocolError(FabdeskError):
    code = "driver_protocol"


class UplinkError(FabdeskError):
    code = "uplink"


class Unauthenticated(FabdeskError):
    code = "unauthenticated"


class AccessDenied(FabdeskError):
    code = "access_denied"
