"""`fabdesk badges …`: what the badge readers at the machines decided (docs/badges.md)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from fabdesk.cli._app import app, out
from fabdesk.db import session_scope

badges_app = typer.Typer(
    help="Badges at the machines: who the drivers let in, and the uses to look at.\n\n"
    "A driver asks the server whether a badge may use its machine; when the server cannot be "
    "reached it decides alone from its allow-list, and the server checks that decision again "
    "when the use arrives. See docs/badges.md.",
    no_args_is_help=True,
)
app.add_typer(badges_app, name="badges")


@badges_app.command("flagged")
def flagged(
    ctx: typer.Context,
    site: Annotated[
        str | None, typer.Option(help="Only this site's machines (its code, e.g. cityfab1).")
    ] = None,
) -> None:
    """Uses a driver allowed while the server was unreachable and that the server refuses.

    Each row is a real use: it was recorded and charged as usual, nothing is dropped. The
    `refused because` column is the server's refusal code (docs/refusals.md): a certification
    that expired, a suspension, someone else's booking… Look at the maker and the machine, and
    settle it with the lab's rules. Newest first; times in the site's time.
    """
    from scheduling.badges import flagged_uses

    with session_scope(ctx.obj.engine()) as session:
        uses = flagged_uses(session, site_code=site)
    table = Table(
        "when", "machine", "site", "member", "refused because", "driver said",
        title="Uses allowed offline that the server refuses",
    )  # fmt: skip
    for use in uses:
        when = use.decided_at.astimezone(ZoneInfo(use.timezone)).strftime("%a %d %b %Y %H:%M")
        table.add_row(
            when,
            use.equipment_tag,
            use.site_code,
            use.member_number or "?",
            use.result,
            use.offline_result or "",
        )
    out.print(table if uses else "No flagged use.")
