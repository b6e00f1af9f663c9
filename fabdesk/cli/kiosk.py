"""The kiosk command and the managers who may use its manager screens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from fabdesk.cli._app import app, out

if TYPE_CHECKING:
    from fabdesk.settings import Settings

managers_app = typer.Typer(
    help="Managers: makers who may open the kiosk's manager screens with their badge and a PIN.",
    no_args_is_help=True,
)
app.add_typer(managers_app, name="managers")


def _log_to_file(settings: Settings) -> None:
    """The kiosk owns the terminal: its log goes to a private file in the data folder, as the
    services log (`logging.level`, JSON lines with `logging.json_lines`, secrets redacted)."""
    from fabdesk.files import private_file
    from fabdesk.logs import configure_logging
    from fabdesk.settings import data_dir

    path = private_file(data_dir() / "logs" / "kiosk.log")
    configure_logging(settings, stream=path.open("a", encoding="utf-8"))  # open while it runs


@app.command()
def kiosk(
    ctx: typer.Context,
    site: Annotated[
        str | None,
        typer.Option(help="Code of the site this terminal stands in (default: kiosk.site)."),
    ] = None,
) -> None:
    """Open the kiosk full-screen: makers scan a badge to see the board, book and check in;
    managers press F5, scan their badge and type their PIN.

    The database is made by `fabdesk init`. While it cannot be reached, the kiosk says that the
    booking system is unavailable and comes back by itself when it answers. A site that does not
    exist closes the kiosk with one line saying so. Quit with Ctrl+Q. The log goes to
    `<data folder>/logs/kiosk.log`.
    """
    import os

    from fabdesk.settings_file import KIOSK_LANGUAGE, given
    from kiosk.app import KioskApp

    def settings() -> Settings:
        loaded: Settings = ctx.obj.settings()
        _log_to_file(loaded)
        return loaded

    # Welcome is drawn before the settings (pydantic) and the database layer are loaded: the
    # kiosk's loader loads them after its first frame, in the language peeked at here.
    language = given(ctx.obj.config, "kiosk", "language", os.environ) or KIOSK_LANGUAGE
    kiosk_app = KioskApp(settings=settings, connect=ctx.obj.engine, language=language, site=site)
    kiosk_app.run()
    if kiosk_app.refusal is not None:
        raise kiosk_app.refusal  # a wrong site or database URL: a mistake to fix now


@managers_app.command("set-pin")
def managers_set_pin(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number of the maker.")],
    pin: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="4 to 8 digits (asked without echo when not given).",
        ),
    ],
    site: Annotated[
        str | None,
        typer.Option(help="The one site they manage (its code); leave out for a network admin."),
    ] = None,
) -> None:
    """Make a maker a manager with this PIN, or change (and unlock) their PIN.

    A manager of one site can log in at that site's kiosks only; a network admin at any.
    """
    from fabdesk.db import session_scope
    from inventory.makers import get_maker
    from inventory.managers import set_pin

    with session_scope(ctx.obj.engine()) as session:
        set_pin(session, get_maker(session, member_number), pin, site_code=site)
    scope = f"of {site}" if site else "of every site (network admin)"
    out.print(f"{member_number} is a manager {scope}; their PIN is set.")


@managers_app.command("revoke")
def managers_revoke(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number of the manager.")],
) -> None:
    """Take the manager role away from a maker."""
    from fabdesk.db import session_scope
    from inventory.makers import get_maker
    from inventory.managers import revoke_manager

    with session_scope(ctx.obj.engine()) as session:
        revoke_manager(session, get_maker(session, member_number))
    out.print(f"{member_number} is no longer a manager.")
