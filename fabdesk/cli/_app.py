"""The `fabdesk` command group, its shared context and consoles (used by every area module)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from fabdesk import __version__
from fabdesk.cli._lazy import LazyGroup

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from fabdesk.actors import Actor
    from fabdesk.settings import Settings

out = Console()
err = Console(stderr=True)


app = typer.Typer(
    name="fabdesk",
    help="Run the machines and shared equipment of a network of fablabs.\n\n"
    "Start with `fabdesk demo` to see the Cityfab network on your machine. For a real lab: "
    "`fabdesk init` creates the database, `fabdesk serve` starts the server, "
    "`fabdesk kiosk --site CODE` opens the terminal.",
    no_args_is_help=True,
    cls=LazyGroup,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


@dataclass
class Context:
    config: Path | None
    _engine: Engine | None = None
    _settings: Settings | None = None

    def settings(self) -> Settings:
        """The command's settings, loaded once: every service of the command gets these rules."""
        if self._settings is None:
            from fabdesk.settings import load_settings

            self._settings = load_settings(self.config)
        return self._settings

    def zone(self) -> ZoneInfo:
        """The ledger's zone, of the command's settings (`scheduler.timezone`)."""
        from fabdesk.accounting.months import ledger_zone

        return ledger_zone(self.settings().scheduler)

    def engine(self) -> Engine:
        """The command's engine, made once; its connections are closed when the command ends."""
        if self._engine is None:
            from fabdesk.db import make_engine

            self._engine = make_engine(self.settings().database)
        return self._engine

    def member(self, given: str | None) -> str:
        """The member number this command acts as: `--as`, else `cli.manager` of the settings."""
        from fabdesk.errors import InvalidValue

        number = given or self.settings().cli.manager
        if not number:
            raise InvalidValue(
                "Say which manager you are: `--as M00001` (or cli.manager in the settings).",
                error_code="actor_required",
            )
        return number

    def actor(self, session: Session, given: str | None) -> Actor:
        """The manager this command acts as (`member`), with their scope."""
        from fabdesk.actors import actor_named

        return actor_named(session, self.member(given), "cli")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def utc_now() -> datetime:
    """The moment a command acts, in UTC: the one clock every command hands to its services."""
    return datetime.now(UTC)


MakerArgument = Annotated[str, typer.Argument(help="Badge or member number of the maker.")]

ActingManager = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="MEMBER",
        help="The manager you act as (member number, e.g. M00001; default: cli.manager in the "
        "settings). Checked against their scope and kept, by id, in the managers' audit log.",
    ),
]


def _version(value: bool) -> None:
    if value:
        out.print(f"fabdesk {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="TOML settings file (default: $FABDESK_CONFIG). Environment variables "
            "such as FABDESK_DATABASE__URL override it.",
            dir_okay=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = Context(config=config)
    ctx.call_on_close(ctx.obj.close)
