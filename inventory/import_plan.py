"""What an import does or would do: the items added and changed, and the problems found, each
where a person finds it in the file (line, spreadsheet column, sheet)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fabdesk.errors import Count, ImportRejected
from fabdesk.models import Equipment


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in a file, where a person finds it."""

    line: int
    """Line in the file (the header is line 1), or the item's position in a JSON document."""
    field: str
    template: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    column: str = ""
    """The spreadsheet column letter ("" for a JSON document)."""
    sheet: str = ""

    def render(self, gettext: Callable[[str], str] | None = None) -> str:
        """The problem alone, translated by `gettext` when given."""
        return (gettext(self.template) if gettext else self.template).format(**self.params)

    @property
    def message(self) -> str:
        return self.render()

    def __str__(self) -> str:
        where = f"column {self.column} ({self.field})" if self.column else self.field
        sheet = f"sheet {self.sheet}, " if self.sheet else ""
        return f"{sheet}line {self.line}, {where}: {self.message}"


@dataclass(frozen=True)
class Added:
    line: int
    asset_tag: str
    tag_given: bool
    """False when the file had no tag and the import gave the site's next one."""
    sheet: str = ""


@dataclass(frozen=True)
class Change:
    line: int
    asset_tag: str
    field: str
    old: str
    new: str


@dataclass
class ImportPlan:
    """What an import does (or would do, in a dry run)."""

    source: str
    added: list[Added] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    _new: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _updates: list[tuple[Equipment, str, Any]] = field(default_factory=list, repr=False)
    """Each change to write: the item, its attribute and the new value (texts in `changed`)."""

    @property
    def updated(self) -> list[str]:
        """Tags of the items changed, in file order."""
        return list(dict.fromkeys(change.asset_tag for change in self.changed))


PROBLEMS = ("{n} problem", "{n} problems")
"""How a rejected import counts its problems (plural entries of the catalogues)."""


def rejected(plan: ImportPlan) -> ImportRejected:
    """The error that says nothing was imported, naming the first problem (all are in
    `params["problems"]`)."""
    first = plan.problems[0]
    where = f"column {first.column} ({first.field})" if first.column else first.field
    return ImportRejected(
        "{source}: {found}, nothing was imported. First: line {line}, {field}: {message}",
        source=f"{plan.source} ({first.sheet})" if first.sheet else plan.source,
        found=Count(PROBLEMS, len(plan.problems)),
        line=first.line,
        field=where,
        message=first.message,
        problems=list(plan.problems),
    )
