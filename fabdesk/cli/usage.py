"""Usage commands: the sessions nobody could be named for, and their assignment by a manager.

Each command parses, calls one service of fabdesk.usage in one transaction, and renders.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import ActingManager, app, out, utc_now
from fabdesk.db import session_scope, write_session
from fabdesk.errors import InvalidValue

usage_app = typer.Typer(
    help="Usage sessions that wait for a manager: a job run without a badge and outside every "
    "booking is never charged to anyone until a manager assigns it (docs/attribution.md).",
    no_args_is_help=True,
)
app.add_typer(usage_app, name="usage")


@usage_app.command("unattributed")
def unattributed(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site (e.g. cityfab1).")] = None,
    month: Annotated[
        str | None, typer.Option(help="Only sessions that ended in this month (YYYY-MM).")
    ] = None,
) -> None:
    """List the finished usage sessions nobody pays for yet, oldest first.

    A session is attributed to the badge read at the machine, else to the booking it ran in;
    the rest wait here until `fabdesk usage assign SESSION --maker/--organisation/--lab`. Their
    month cannot be closed while they wait.
    """
    from fabdesk.usage.unattributed import unattributed_sessions

    with session_scope(ctx.obj.engine()) as session:
        waiting = unattributed_sessions(session, zone=ctx.obj.zone(), site_code=site, month=month)
    table = Table(
        "session",
        "machine",
        "site",
        "started (UTC)",
        "ended (UTC)",
        "active min",
        "job",
        "badge read",
        title=f"Unattributed usage sessions ({len(waiting)})",
    )
    for found in waiting:
        table.add_row(
            str(found.id),
            found.equipment_tag,
            found.site_code,
            f"{found.started_at:%Y-%m-%d %H:%M}",
            f"{found.ended_at:%Y-%m-%d %H:%M}",
            f"{found.active_seconds / 60:.1f}",
            found.job_name or "",
            found.badge or "",
        )
    out.print(table)


@usage_app.command("assign")
def assign(
    ctx: typer.Context,
    session_id: Annotated[int, typer.Argument(metavar="SESSION", help="The session's number.")],
    as_: ActingManager = None,
    maker: Annotated[
        str | None, typer.Option(help="The maker who used the machine (member number or badge).")
    ] = None,
    organisation: Annotated[
        str | None, typer.Option(help="The organisation that pays (its code).")
    ] = None,
    lab: Annotated[
        str | None,
        typer.Option(help="The site whose own use it was (its code): its lab account pays."),
    ] = None,
) -> None:
    """Assign an unattributed session to a maker, an organisation or a lab's own use, and
    charge it (once: assigning it again to the same payer posts nothing).

    Example: `fabdesk usage assign 42 --maker M-00017 --as M-00001`.
    """
    from fabdesk.accounting.pricing import PriceRules
    from fabdesk.usage.unattributed import assign_session, resolve_assignee

    rules = PriceRules.from_settings(
        ctx.obj.settings().accounting, ctx.obj.settings().scheduler.timezone
    )
    with write_session(ctx.obj.engine()) as session:
        assignee = resolve_assignee(session, maker=maker, organisation=organisation, lab=lab)
        done = assign_session(
            session,
            session_id,
            assignee,
            actor=ctx.obj.actor(session, as_),
            now=utc_now(),
            rules=rules,
        )
    charged = f"charged (transaction {done.charge.id})" if done.charge else "nothing new charged"
    out.print(f"Session {session_id} assigned: {charged}.")


def parse_assignment(text: str) -> tuple[int, dict[str, str]]:
    """`42=maker:M-00017` (or `organisation:CODE`, `lab:SITE`) as the session and the payer."""
    number, _, target = text.partition("=")
    kind, _, value = target.partition(":")
    if not number.strip().isdigit() or kind not in {"maker", "organisation", "lab"} or not value:
        raise InvalidValue(
            "{text!r} is not SESSION=maker:MEMBER, SESSION=organisation:CODE or SESSION=lab:SITE.",
            text=text,
            error_code="assignment",
        )
    return int(number), {kind: value}
