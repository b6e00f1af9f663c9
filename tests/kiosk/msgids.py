"""Find every msgid a person may see at the kiosk, by reading the source (no import side effects).

Two families: the kiosk's own strings (`_("…")`, `self._("…")`, `N_("…")` in kiosk/), and the
English templates of every `FabdeskError` subclass and `Violation` the services raise (in
inventory/, scheduling/, fabdesk/accounting/ and the core modules they stand on).

`python -m tests.kiosk.msgids` adds the missing msgids to the catalogues (English filled with the
msgid itself, French and Dutch left empty for a person to translate).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fabdesk.errors import FabdeskError

ROOT = Path(__file__).resolve().parents[2]
KIOSK_SOURCES = [
    ROOT / "kiosk",
    ROOT / "scheduling" / "letters.py",
    ROOT / "fabdesk" / "accounting" / "statements.py",
    ROOT / "fabdesk" / "accounting" / "_line_words.py",
    ROOT / "fabdesk" / "accounting" / "invoice_documents.py",
    ROOT / "fabdesk" / "accounting" / "indicators.py",
]
"""Where msgids are marked with `_` or `N_`: the kiosk, the letters sent to makers, the
statements and invoices printed for them, and the indicators report printed for funders."""
SERVICE_SOURCES = [
    ROOT / "inventory",
    ROOT / "scheduling",
    ROOT / "fabdesk" / "accounting",
    ROOT / "fabdesk" / "db.py",
    ROOT / "fabdesk" / "identifiers.py",
    ROOT / "fabdesk" / "money.py",
    ROOT / "fabdesk" / "usage" / "unattributed.py",  # the kiosk's manager assigns uses
]
SERVICE_PACKAGES = ["inventory", "scheduling", "fabdesk.accounting"]


@dataclass(frozen=True)
class Found:
    msgid: str
    where: str


def python_files(sources: list[Path]) -> Iterator[Path]:
    for source in sources:
        if source.is_file():
            yield source
        elif source.is_dir():
            yield from sorted(source.rglob("*.py"))


def _call_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return ""


class _Strings:
    """Resolves an expression to a string when it is made of literals and module constants."""

    def __init__(self, tree: ast.Module) -> None:
        self.constants: dict[str, ast.expr] = {}
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
                if isinstance(target, ast.Name):
                    self.constants[target.id] = statement.value
            elif (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and statement.value is not None
            ):
                self.constants[statement.target.id] = statement.value

    def resolve(self, node: ast.expr, depth: int = 0) -> str | None:
        if depth > 5:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.resolve(node.left, depth + 1), self.resolve(node.right, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.resolve(self.constants[node.id], depth + 1)
        return None


def kiosk_msgids() -> list[Found]:
    found: list[Found] = []
    for path in python_files(KIOSK_SOURCES):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) in {"_", "N_"} and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.append(Found(first.value, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return found


def error_class_names() -> set[str]:
    """Names of FabdeskError and every subclass, the services' own included."""
    for package in SERVICE_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ModuleNotFoundError:
            continue
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            importlib.import_module(info.name)
    names: set[str] = set()
    pending: list[type[FabdeskError]] = [FabdeskError]
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    # RuleViolation takes violations, not a template: its templates come from Violation(...).
    names.discard("RuleViolation")
    return names


def service_msgids() -> tuple[list[Found], list[str]]:
    """The templates the services raise, and the places whose template is not a literal."""
    errors = error_class_names()
    found: list[Found] = []
    unreadable: list[str] = []
    for path in python_files(SERVICE_SOURCES):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        strings = _Strings(tree)
        # Helpers of the module that take a `template` and pass it on (e.g. `_refuse(code,
        # template, **params)`): their callers give the msgid.
        helpers = {
            f.name: [a.arg for a in f.args.args].index("template")
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef) and "template" in [a.arg for a in f.args.args]
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _call_name(node)
            keywords = {k.arg: k.value for k in node.keywords}
            template: ast.expr | None = None
            if name in errors and node.args:
                template = node.args[0]
            elif name == "Violation":
                template = node.args[1] if len(node.args) > 1 else keywords.get("template")
            elif name in helpers:
                position = helpers[name]
                template = (
                    node.args[position] if len(node.args) > position else keywords.get("template")
                )
            if template is None:
                continue
            if isinstance(template, ast.Name) and template.id == "template":
                continue  # passed on by a helper: its callers are read instead
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            value = strings.resolve(template)
            if value is None:
                unreadable.append(where)
            else:
                found.append(Found(value, where))
    return found, unreadable


def all_msgids() -> dict[str, str]:
    """Every msgid with one place it comes from."""
    services, _unreadable = service_msgids()
    return {f.msgid: f.where for f in [*kiosk_msgids(), *services]}


def main() -> None:
    from fabdesk.i18n import LANGUAGES, catalogue_path, parse_po, render_po

    wanted = all_msgids()
    for language in LANGUAGES:
        path = catalogue_path(language)
        text = path.read_text(encoding="utf-8")
        entries = parse_po(text, language)
        for msgid in wanted:
            if not entries.get(msgid):
                entries[msgid] = msgid if language == "en" else ""
        path.write_text(render_po(text, entries), encoding="utf-8")


if __name__ == "__main__":
    main()
