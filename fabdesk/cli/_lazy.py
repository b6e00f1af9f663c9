"""Lazy loading of the `fabdesk` commands: `fabdesk --help` and `fabdesk sites` import only what
they need, not every area's services (SQLModel models, reportlab, uvicorn, Textual…).

`fabdesk.cli._commands.COMMANDS` names every top-level command with the area modules that define
it (a group may get subcommands from several) and its one-line help, for the listing. It is
written by `python -m fabdesk.cli._lazy` from the real command tree, and a test checks that it
matches, so it cannot drift.
"""

from __future__ import annotations

import gc
import importlib
import sys
from pathlib import Path
from typing import Any

from typer.core import TyperCommand, TyperGroup

__all__ = ["AREAS", "LazyGroup", "command", "load_all", "registry"]

AREAS = (
    "core", "setup", "inventory", "cadastre_files", "investors", "costs", "audits",
    "scheduling", "accounting", "organisations", "invoicing", "usage", "peers", "api",
    "makerapi", "badges", "managers", "kiosk", "ops", "driver",
)  # fmt: skip
"""The area modules of fabdesk.cli, in the order their commands are listed."""


def _app() -> Any:
    from fabdesk.cli._app import app

    return app


def _build(modules: tuple[str, ...]) -> TyperGroup:
    import typer.main

    for module in modules:
        importlib.import_module(f"fabdesk.cli.{module}")
    group = typer.main.get_command(_app())
    assert isinstance(group, TyperGroup)
    return group


class LazyGroup(TyperGroup):
    """The root group: lists every command from the registry, imports one when it runs."""

    def list_commands(self, ctx: Any) -> list[str]:
        from fabdesk.cli._commands import COMMANDS

        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        from fabdesk.cli._commands import COMMANDS

        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        # Listed in the help only: a stand-in with the command's one-line help.
        return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name][1])

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        from fabdesk.cli._commands import COMMANDS

        name = args[0] if args else ""
        if name in COMMANDS:
            # Built from all its areas, even if typer built it already: in a process that ran
            # another command first (the tests), a group may hold only the subcommands of the
            # areas imported so far.
            self.commands[name] = _collecting(command(name))
        return super().resolve_command(ctx, args)


def _collecting(built: Any) -> Any:
    """`built`, turning the garbage collector on again (off since `fabdesk.cli.main`) when it
    runs, its arguments parsed: what the start loaded is frozen out of the collector's sweeps,
    and the command itself, however long (`serve`, `kiosk`), runs with it."""
    invoke = built.invoke

    def collecting_invoke(ctx: Any) -> Any:
        gc.freeze()
        gc.enable()
        return invoke(ctx)

    built.invoke = collecting_invoke
    return built


def command(name: str) -> Any:
    """The command `name` of the registry, built alone: typer reads the signature of every
    function it turns into a command, so the other commands of its areas are left unbuilt."""
    import typer.main

    from fabdesk.cli._commands import COMMANDS

    for module in COMMANDS[name][0]:
        importlib.import_module(f"fabdesk.cli.{module}")
    app = _app()
    for group in app.registered_groups:
        if group.name == name:
            return typer.main.get_group_from_info(
                group,
                pretty_exceptions_short=app.pretty_exceptions_short,
                suggest_commands=app.suggest_commands,
                rich_markup_mode=app.rich_markup_mode,
            )
    for info in app.registered_commands:
        if info.callback and name == (
            info.name or typer.main.get_command_name(info.callback.__name__)
        ):
            return typer.main.get_command_from_info(
                info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
    return _build(COMMANDS[name][0]).commands[name]


def load_all() -> TyperGroup:
    """The whole command tree, every area imported (tests, docs)."""
    return _build(AREAS)


def registry() -> dict[str, tuple[tuple[str, ...], str]]:
    """Every top-level command: the area modules whose code it runs, and its one-line help."""
    group = load_all()
    found: dict[str, tuple[tuple[str, ...], str]] = {}
    for name, command in group.commands.items():
        modules = sorted(_modules(command), key=AREAS.index)
        helptext = (command.short_help or (command.help or "").split("\n\n")[0]).strip()
        found[name] = (tuple(modules), " ".join(helptext.split()))
    return found


def _modules(command: Any) -> set[str]:
    """The areas whose code a command (and, for a group, each of its subcommands) runs."""
    own = {m for m in (_area(command.callback),) if m}
    if isinstance(command, TyperGroup):
        return own.union(*(_modules(sub) for sub in command.commands.values()))
    return own


def _area(callback: Any) -> str | None:
    module = getattr(callback, "__module__", "") or ""
    if module.startswith("fabdesk.cli.") and module.rsplit(".", 1)[1] in AREAS:
        return module.rsplit(".", 1)[1]
    return None


def write_registry(path: Path) -> None:
    lines = [
        "# ruff: noqa: E501  (one-line helps, as written by the generator)",
        '"""Every top-level `fabdesk` command: the area modules that define it, and its one-line',
        'help. Written by `python -m fabdesk.cli._lazy`; do not edit."""',
        "",
        "COMMANDS: dict[str, tuple[tuple[str, ...], str]] = {",
    ]
    lines += [
        f"    {name!r}: ({modules!r}, {text!r})," for name, (modules, text) in registry().items()
    ]
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_registry(Path(__file__).with_name("_commands.py"))
    sys.exit(0)
