"""Co-investor commands: list, add and show investors; set the funding shares of an item."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import ActingManager, out, utc_now
from fabdesk.cli.inventory import Reason, investors_app
from fabdesk.db import session_scope
from fabdesk.errors import InvalidValue


@investors_app.command("list")
def investors_list(ctx: typer.Context) -> None:
    """List the co-investors."""
    from fabdesk.identifiers import format_enterprise_number
    from inventory.investors import list_investors

    with session_scope(ctx.obj.engine()) as session:
        investors = list_investors(session)
    table = Table("code", "name", "enterprise number")
    for investor in investors:
        number = investor.enterprise_number
        table.add_row(
            investor.code, investor.name, format_enterprise_number(number) if number else ""
        )
    out.print(table)


@investors_app.command("add")
def investors_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Short code, e.g. REGION.")],
    name: Annotated[str, typer.Argument(help="Full name.")],
    enterprise_number: Annotated[
        str | None, typer.Option(help="Belgian enterprise number, e.g. 0123.456.749.")
    ] = None,
) -> None:
    """Register a co-investor."""
    from inventory.investors import add_investor

    with session_scope(ctx.obj.engine()) as session:
        investor = add_investor(session, code, name, enterprise_number=enterprise_number)
        added = investor.code
    out.print(f"Added investor {added}.")


@investors_app.command("show")
def investors_show(
    ctx: typer.Context, code: Annotated[str, typer.Argument(help="Investor code.")]
) -> None:
    """What an investor co-funded: items, sites and shares."""
    from inventory.investors import investor_holdings

    with session_scope(ctx.obj.engine()) as session:
        holdings = investor_holdings(session, code)
    table = Table("asset tag", "name", "site", "share", "hours a year", title=code.upper())
    for holding in holdings:
        table.add_row(
            holding.item.asset_tag,
            holding.item.name,
            holding.site.code,
            f"{holding.share.basis_points / 100:g} %",
            str(holding.share.usage_hours_per_year),
        )
    out.print(table)


@investors_app.command("shares")
def investors_shares(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag.")],
    shares: Annotated[
        list[str] | None,
        typer.Argument(
            help="CODE=PERCENT[:HOURS] for each investor, e.g. REGION=50 CITY=30 LAB=20:100. "
            "They must add up to 100. None at all: the item is the lab's own funds."
        ),
    ] = None,
    reason: Reason = "",
    acting: ActingManager = None,
) -> None:
    """Set the funding shares of an item (they replace the previous ones)."""
    from inventory.investors import ShareSpec, parse_percent, set_shares

    specs = []
    for text in shares or []:
        code, sep, rest = text.partition("=")
        if not sep:
            raise InvalidValue(
                "{share!r} is not CODE=PERCENT.", share=text, error_code="share_syntax"
            )
        percent, _, hours = rest.partition(":")
        if hours and not hours.isdigit():
            raise InvalidValue(
                "{share!r}: hours must be a whole number.", share=text, error_code="share_syntax"
            )
        specs.append(ShareSpec(code, parse_percent(percent), int(hours or 0)))
    with session_scope(ctx.obj.engine()) as session:
        set_shares(
            session,
            asset_tag,
            specs,
            actor=ctx.obj.actor(session, acting),
            now=utc_now(),
            reason=reason,
        )
    out.print("Shares set." if specs else "Shares removed: own funds.")
