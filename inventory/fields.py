"""The register's field values: one parser per editable field of an item, shared by the CLI,
edits and the import (texts with their limits, days as 2026-11-21 or 21/11/2026, whole numbers,
flags, links, codes), and a value as the history writes it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from fabdesk.errors import InvalidValue


class FieldProblem(ValueError):
    """What is wrong with one value, as an English template and its parameters: `str()` is the
    English message; a file import translates the template into the manager's language."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template.format(**params))


def text_of_length(limit: int, *, required: bool = False) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if required and not value:
            raise FieldProblem("must not be empty")
        if len(value) > limit:
            raise FieldProblem("is longer than {limit} characters", limit=limit)
        return value

    return parse


def _long_text(raw: str) -> str:
    return raw.replace("\r\n", "\n").strip()


_LOCAL_DAY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")


def parse_day(raw: str) -> date | None:
    """`2026-11-21`, or day first as Belgians write it (`21/11/2026`, `21.11.2026`,
    `21-11-2026`) → a date; empty → None."""
    value = raw.strip()
    if not value:
        return None
    local = _LOCAL_DAY.fullmatch(value)
    try:
        if local:
            return date(int(local[3]), int(local[2]), int(local[1]))
        return date.fromisoformat(value)
    except ValueError:
        raise FieldProblem(
            "{value!r} is not a date like 2026-11-21 or 21/11/2026", value=value
        ) from None


def _whole(minimum: int, *, optional: bool) -> Callable[[str], int | None]:
    def parse(raw: str) -> int | None:
        value = raw.strip()
        if not value:
            if optional:
                return None
            raise FieldProblem("must not be empty")
        if (
            not (value.isdigit() or (value[0] == "-" and value[1:].isdigit()))
            or not value.isascii()
        ):
            raise FieldProblem("{value!r} is not a whole number", value=value)
        number = int(value)
        if number < minimum:
            raise FieldProblem("must be at least {minimum}", minimum=minimum)
        return number

    return parse


def parse_flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "y", "oui", "ja"}:
        return True
    if value in {"0", "false", "no", "n", "non", "nee"}:
        return False
    raise FieldProblem("{value!r} is not yes or no", value=raw)


def _urls(raw: str) -> str:
    urls = [u.strip() for u in re.split(r"[\n|]", raw) if u.strip()]
    for url in urls:
        if not re.match(r"https?://\S+$", url):
            raise FieldProblem("{url!r} is not an http(s) link", url=url)
    return "\n".join(urls)


def _code(raw: str) -> str | None:
    value = raw.strip()
    return value or None


FIELD_PARSERS: dict[str, Callable[[str], Any]] = {
    "name": text_of_length(160, required=True),
    "category": text_of_length(32, required=True),
    "make": text_of_length(80),
    "model": text_of_length(120),
    "serial_number": text_of_length(80),
    "acquired_on": parse_day,
    "acquisition_cost_cents": _whole(0, optional=True),
    "expected_life_years": _whole(1, optional=True),
    "training_category_code": _code,
    "bookable": parse_flag,
    "rate_cents_per_hour": _whole(0, optional=False),
    "billing_unit_minutes": _whole(1, optional=False),
    "minimum_charge_cents": _whole(0, optional=False),
    "maintenance_every_days": _whole(1, optional=True),
    "maintenance_every_hours": _whole(1, optional=True),
    "notes": _long_text,
    "manual_urls": _urls,
}
"""Fields `edit_item` changes (status, site and location have their own functions), by name; each
parser turns text into the field's value or raises ValueError saying what is wrong."""


def parse_field(name: str, raw: str) -> Any:
    """The value of field `name` from text, or InvalidValue naming the field."""
    parser = FIELD_PARSERS.get(name)
    if parser is None:
        raise InvalidValue(
            "{field!r} cannot be edited; editable fields: {fields}.",
            field=name,
            fields=", ".join(FIELD_PARSERS),
            error_code="field_not_editable",
        )
    try:
        return parser(raw)
    except ValueError as problem:
        raise InvalidValue(
            "{field}: {problem}.", field=name, problem=str(problem), error_code="field_value"
        ) from None


def as_text(value: object) -> str:
    """A value as the history and the files write it: `""`, `yes`/`no`, ISO dates, else str()."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
