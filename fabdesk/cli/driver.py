"""`fabdesk driver …`: run the machine-side driver, or check its configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fabdesk import exit_codes
from fabdesk.cli._app import app, err, out

driver_app = typer.Typer(
    help="The machine-side driver (on the Raspberry Pi beside a machine).\n\n"
    "It reads the machine (GRBL laser, Marlin printer, usage meter over serial, or OctoPrint), "
    "logs each usage session exactly once in a local outbox, and sends it to the server. "
    "On a Pi, the `fabdesk-driver` command does the same as `fabdesk driver run`.",
    no_args_is_help=True,
)
app.add_typer(driver_app, name="driver")

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        help="The driver's TOML file: [server] url and token, [machine] kind and port "
        "(or OctoPrint url and api_key), [outbox] path. See drivers/config.py.",
        exists=True,
        dir_okay=False,
    ),
]


def _load(config: Path):  # type: ignore[no-untyped-def]  # the driver's config type stays lazy
    from drivers.config import load_config
    from drivers.errors import DriverConfigError

    try:
        return load_config(config)
    except DriverConfigError as error:
        err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(exit_codes.CONFIG) from error


@driver_app.command("run")
def run(config: ConfigOption) -> None:
    """Run the driver until Ctrl+C or SIGTERM: poll the machine, keep the outbox, send it."""
    from drivers import daemon

    daemon.main(["--config", str(config)])


@driver_app.command("check")
def check(config: ConfigOption) -> None:
    """Test a configuration: does the machine answer, does the server accept the device token?

    Nothing is recorded and nothing is sent. Exits with 0 when both are fine.
    """
    from drivers.daemon import check as check_driver

    settings = _load(config)
    report = check_driver(settings)
    table = Table("what", "result", title=f"fabdesk driver check: {config}")
    table.add_row(f"machine ({settings.machine.kind})", report.machine)
    table.add_row(f"server ({settings.server.url})", report.server)
    out.print(table)
    if not report.ok:
        raise typer.Exit(exit_codes.DRIVER)
