"""Machine costs and co-investors' members, in the cadastre's groups: `fabdesk equipment costs …`
(each machine's yearly costs behind the cost-price report) and `fabdesk investors members …` (the
makers who use a co-investor's usage rights)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import MakerArgument, out
from fabdesk.cli.inventory import equipment_app, investors_app
from fabdesk.db import session_scope
from fabdesk.money import parse_euros

costs_app = typer.Typer(
    help="Each machine's yearly costs (depreciation, maintenance, consumables) behind the "
    "cost-price report (fabdesk report costs).",
    no_args_is_help=True,
)
members_app = typer.Typer(
    help="The makers who use a co-investor's usage rights (a school's students, a company's "
    "staff): their usage on its machines is priced at the reduced rate, within its hours.",
    no_args_is_help=True,
)
equipment_app.add_typer(costs_app, name="costs")
investors_app.add_typer(members_app, name="members")


@costs_app.command("set")
def costs_set(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag of the machine.")],
    year: Annotated[int, typer.Option(help="The year the costs are for.")],
    depreciation: Annotated[
        str | None,
        typer.Option(
            help="Depreciation in euros. Default: acquisition cost / expected life (cadastre)."
        ),
    ] = None,
    maintenance: Annotated[str, typer.Option(help="Maintenance in euros.")] = "0",
    consumables: Annotated[str, typer.Option(help="Consumables in euros.")] = "0",
) -> None:
    """Enter (or replace) a machine's costs of a year."""
    from fabdesk.accounting.costs import set_equipment_cost
    from fabdesk.money import format_cents
    from scheduling.machines import find_machine

    with session_scope(ctx.obj.engine()) as session:
        cost = set_equipment_cost(
            session,
            equipment_id=find_machine(session, asset_tag),
            year=year,
            depreciation_cents=parse_euros(depreciation) if depreciation is not None else None,
            maintenance_cents=parse_euros(maintenance),
            consumables_cents=parse_euros(consumables),
        )
        total = cost.depreciation_cents + cost.maintenance_cents + cost.consumables_cents
    out.print(f"Costs of {asset_tag} in {year}: {format_cents(total)}.")


@costs_app.command("list")
def costs_list(ctx: typer.Context, year: Annotated[int, typer.Option(help="The year.")]) -> None:
    """List the machines' costs entered for a year."""
    from fabdesk.accounting.costs import equipment_costs
    from fabdesk.money import format_cents

    table = Table(
        "machine", "depreciation", "maintenance", "consumables", title=f"Machine costs {year}"
    )
    with session_scope(ctx.obj.engine()) as session:
        for item, cost in equipment_costs(session, year):
            table.add_row(
                item.asset_tag,
                format_cents(cost.depreciation_cents),
                format_cents(cost.maintenance_cents),
                format_cents(cost.consumables_cents),
            )
    out.print(table)


InvestorArgument = Annotated[str, typer.Argument(help="Investor code, e.g. SCHOOL.")]


@members_app.command("add")
def members_add(ctx: typer.Context, investor: InvestorArgument, maker: MakerArgument) -> None:
    """Let a maker use a co-investor's usage rights (again: changes nothing)."""
    from fabdesk.models import id_of
    from inventory.investors import add_member
    from inventory.makers import find_by_badge

    with session_scope(ctx.obj.engine()) as session:
        found = find_by_badge(session, maker)
        add_member(session, investor, id_of(found))
        number = found.member_number
    out.print(f"{number} uses the usage rights of {investor.upper()}.")


@members_app.command("remove")
def members_remove(ctx: typer.Context, investor: InvestorArgument, maker: MakerArgument) -> None:
    """Stop a maker using a co-investor's usage rights."""
    from fabdesk.models import id_of
    from inventory.investors import remove_member
    from inventory.makers import find_by_badge

    with session_scope(ctx.obj.engine()) as session:
        removed = remove_member(session, investor, id_of(find_by_badge(session, maker)))
    out.print("Removed." if removed else "Was not a member: nothing changed.")


@members_app.command("list")
def members_list(ctx: typer.Context, investor: InvestorArgument) -> None:
    """The makers who use a co-investor's usage rights."""
    from inventory.investors import investor_members

    table = Table("member number", "name", title=f"Members of {investor.upper()}")
    with session_scope(ctx.obj.engine()) as session:
        for maker in investor_members(session, investor):
            table.add_row(maker.member_number, maker.name)
    out.print(table)
