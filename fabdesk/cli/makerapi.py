"""The maker API's commands for managers: a maker's access tokens (`fabdesk tokens list|revoke`)
and the waitlist (`fabdesk waitlist list|join|accept|leave`), on a maker's behalf."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import app, out, utc_now
from fabdesk.cli.scheduling import _WHEN, FoldOption, LengthOption, _show, wanted_slot
from fabdesk.db import session_scope, write_session

tokens_app = typer.Typer(
    help="Makers' personal access tokens for the maker API (their phone).\n\n"
    "A maker makes one at the kiosk (Me, then T) and scans it as a QR code; only its hash is "
    "kept. `fabdesk tokens list M00042` shows theirs with when each was last used; "
    "`fabdesk tokens revoke ID` refuses one from then on (a lost phone).",
    no_args_is_help=True,
)
app.add_typer(tokens_app, name="tokens")

waitlist_app = typer.Typer(
    help="Wait for a taken slot on a maker's behalf, and accept the offer when it frees.\n\n"
    "`fabdesk waitlist join M00042 CF1-00001-R '2026-11-25 14:00' --length 2h` puts them in "
    "line; when the slot frees, the first in line gets an offer for "
    "`scheduler.waitlist_offer_minutes`; `fabdesk waitlist accept ENTRY --maker M00042` turns "
    "it into a booking (every booking rule still applies).",
    no_args_is_help=True,
)
app.add_typer(waitlist_app, name="waitlist")

_MEMBER = typer.Argument(help="Member number of the maker, e.g. M00042.")
_MAKER = typer.Option("--maker", help="Member number of the maker whose entry it is.")


@tokens_app.command("list")
def tokens_list(
    ctx: typer.Context,
    member_number: Annotated[str, _MEMBER],
    active: Annotated[bool, typer.Option("--active", help="Leave out revoked tokens.")] = False,
) -> None:
    """List a maker's access tokens: first characters (never the token), label, made, last
    used, revoked."""
    from inventory.maker_tokens import tokens_of
    from inventory.makers import get_maker

    with session_scope(ctx.obj.engine()) as session:
        tokens = tokens_of(session, get_maker(session, member_number).id or 0)
    table = Table(
        "id", "token starts", "label", "made", "last used", "revoked", title="Access tokens"
    )
    for token in tokens:
        if active and not token.active:
            continue
        table.add_row(
            str(token.id),
            token.token_hint + "…",
            token.label,
            f"{token.created_at:%Y-%m-%d %H:%M}",
            f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never",
            f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "",
        )
    out.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(help="The token's id (see `fabdesk tokens list`).")],
) -> None:
    """Revoke an access token: the maker API refuses it from now on (401 token_revoked)."""
    from inventory.maker_tokens import revoke_token

    with write_session(ctx.obj.engine()) as session:
        revoke_token(session, token_id, now=utc_now())
    out.print(f"Access token {token_id} revoked.")


@waitlist_app.command("list")
def waitlist_list(ctx: typer.Context, member_number: Annotated[str, _MEMBER]) -> None:
    """A maker's places in line (waiting, or offered until when)."""
    from inventory.makers import get_maker
    from scheduling.machines import find_machine, load_machine
    from scheduling.mine import my_waitlist

    rules = ctx.obj.settings().scheduler
    with session_scope(ctx.obj.engine()) as session:
        entries = my_waitlist(session, get_maker(session, member_number).id or 0, now=utc_now())
        zones = {
            e.asset_tag: load_machine(session, find_machine(session, e.asset_tag), rules).timezone
            for e in entries
        }
    table = Table("id", "machine", "from", "to", "state", "offer until", title="Waitlist")
    for entry in entries:
        zone = zones[entry.asset_tag]
        table.add_row(
            str(entry.id),
            entry.asset_tag,
            _show(entry.starts_at, zone),
            _show(entry.ends_at, zone),
            entry.state,
            _show(entry.offer_expires_at, zone) if entry.offer_expires_at else "",
        )
    out.print(table)


@waitlist_app.command("join")
def waitlist_join(
    ctx: typer.Context,
    member_number: Annotated[str, _MEMBER],
    asset_tag: Annotated[str, typer.Argument(help="Asset tag of the machine, e.g. CF1-00001-R.")],
    starts: Annotated[datetime, _WHEN],
    length: LengthOption = "1h",
    fold: FoldOption = None,
) -> None:
    """Put a maker in line for a taken slot (refused if it is free: book it instead)."""
    from scheduling.waitlist import join

    with write_session(ctx.obj.engine()) as session:
        slot = wanted_slot(
            session, ctx.obj.settings().scheduler, member_number, asset_tag, starts, length, fold
        )
        machine = slot.machine
        entry = join(
            session,
            maker_id=slot.maker.id or 0,
            equipment_id=machine.id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            now=utc_now(),
        )
    out.print(
        f"{member_number} waits for {machine.name} ({asset_tag.upper()}), "
        f"{_show(entry.starts_at, machine.timezone)} to {_show(entry.ends_at, machine.timezone)}: "
        f"entry {entry.id}."
    )


@waitlist_app.command("accept")
def waitlist_accept(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="The waitlist entry (see `waitlist list`).")],
    member_number: Annotated[str, _MAKER],
) -> None:
    """Accept the open offer of an entry: the slot becomes the maker's booking."""
    from inventory.makers import get_maker
    from scheduling.waitlist import accept_offer

    with write_session(ctx.obj.engine()) as session:
        booking = accept_offer(
            session,
            entry_id=entry_id,
            maker_id=get_maker(session, member_number).id or 0,
            now=utc_now(),
            settings=ctx.obj.settings().scheduler,
        )
    out.print(f"Offer accepted: booking {booking.id}.")


@waitlist_app.command("leave")
def waitlist_leave(
    ctx: typer.Context,
    entry_id: Annotated[int, typer.Argument(help="The waitlist entry (see `waitlist list`).")],
    member_number: Annotated[str, _MAKER],
) -> None:
    """Take a maker out of line; an offer they held goes to the next in line."""
    from inventory.makers import get_maker
    from scheduling.waitlist import withdraw

    with write_session(ctx.obj.engine()) as session:
        withdraw(
            session,
            entry_id=entry_id,
            maker_id=get_maker(session, member_number).id or 0,
            now=utc_now(),
            settings=ctx.obj.settings().scheduler,
        )
    out.print(f"Entry {entry_id} withdrawn.")
