"""Managers' API tokens and the managers' audit log (`fabdesk managers token|actions`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import ActingManager, err, out, utc_now
from fabdesk.cli.kiosk import managers_app  # tokens and the audit log join `managers`
from fabdesk.db import session_scope

token_app = typer.Typer(
    help="Managers' API tokens: each acts with its manager's scope (one site or the network). "
    "`create` shows a token once; only its hash is kept; `revoke` ends it.",
    no_args_is_help=True,
)
managers_app.add_typer(token_app, name="token")


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number of the manager.")],
    acting: ActingManager = None,
    label: Annotated[str, typer.Option(help="What the token is for (e.g. `laptop`).")] = "",
) -> None:
    """Create an API token for a manager (yourself, or, as a network admin, anyone).

    The token is printed once on stdout: give it as `Authorization: Bearer <token>`.
    """
    from inventory.makers import get_maker
    from inventory.manager_tokens import issue_token

    with session_scope(ctx.obj.engine()) as session:
        actor = ctx.obj.actor(session, acting)
        issued = issue_token(
            session, actor, get_maker(session, member_number), label=label, now=utc_now()
        )
    out.print(issued.token, highlight=False)
    err.print(
        f"Token {issued.token_id} for {member_number}: shown once, keep it secret.",
        highlight=False,
    )


@token_app.command("list")
def token_list(ctx: typer.Context, acting: ActingManager = None) -> None:
    """Your tokens (every manager's for a network admin): never the tokens themselves."""
    from inventory.manager_tokens import list_tokens

    with session_scope(ctx.obj.engine()) as session:
        rows = list_tokens(session, ctx.obj.actor(session, acting))
    table = Table("#", "manager", "label", "created", "last used", "revoked")
    for token, number in rows:
        table.add_row(
            str(token.id),
            number,
            token.label,
            _when(token.created_at),
            _when(token.last_used_at),
            _when(token.revoked_at),
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's number (see `list`).")],
    acting: ActingManager = None,
) -> None:
    """Revoke a token at once (yours, or any as a network admin)."""
    from inventory.manager_tokens import revoke_token

    with session_scope(ctx.obj.engine()) as session:
        revoke_token(session, ctx.obj.actor(session, acting), token_id, now=utc_now())
    out.print(f"Token {token_id} is revoked.", highlight=False)


@managers_app.command("actions")
def managers_actions(
    ctx: typer.Context,
    acting: ActingManager = None,
    days: Annotated[int, typer.Option(min=1, max=3660, help="How many days back.")] = 30,
) -> None:
    """The managers' audit log, newest first: who (member number), what, on what, at which
    site, when, from where (kiosk, cli, api). Network admins only."""
    from fabdesk.actors import list_actions

    since = utc_now() - timedelta(days=days)
    with session_scope(ctx.obj.engine()) as session:
        rows = list_actions(session, ctx.obj.actor(session, acting), since=since)
    table = Table("when", "manager", "action", "subject", "site", "from")
    for row in rows:
        table.add_row(
            _when(row.at), row.member_number, row.action, row.subject, row.site_code, row.origin
        )
    out.print(table)
