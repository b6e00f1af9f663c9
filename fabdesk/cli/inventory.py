"""Cadastre commands: equipment, investors, import/export, open data, labels and audits."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from fabdesk.cli._app import ActingManager, app, out, utc_now
from fabdesk.db import session_scope
from fabdesk.errors import InvalidValue
from fabdesk.i18n import counted
from fabdesk.models import EquipmentStatus

equipment_app = typer.Typer(
    help="The equipment register: list, show, add, edit, move, change status, see history, "
    "record maintenance.",
    no_args_is_help=True,
)
investors_app = typer.Typer(
    help="Co-investors (the Region, the City, the lab, schools, companies) and the shares of "
    "each item they funded.",
    no_args_is_help=True,
)
"""Its commands are in fabdesk.cli.investors; the group stays here, where other areas find it."""
app.add_typer(equipment_app, name="equipment")
app.add_typer(investors_app, name="investors")

Reason = Annotated[str, typer.Option("--reason", "-r", help="Why (kept in the history).")]
Day = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])]


def _money(cents: int | None) -> str:
    return "" if cents is None else f"€ {cents / 100:,.2f}"


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


# ---------------------------------------------------------------------------------------------
# equipment


@equipment_app.command("list")
def equipment_list(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site (code).")] = None,
    status: Annotated[EquipmentStatus | None, typer.Option(help="Only this status.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category (code).")] = None,
) -> None:
    """List the items of the register, by asset tag."""
    from inventory.lookups import list_items

    with session_scope(ctx.obj.engine()) as session:
        rows = list_items(session, site_code=site, status=status, category_code=category)
        table = Table("name", "site", "location", "category", "status", "bookable")
        table.columns.insert(0, Column("asset tag", no_wrap=True))
        for row in rows:
            table.add_row(
                row.item.asset_tag,
                row.item.name,
                row.site.code,
                row.item.location,
                row.category.code,
                row.item.status.value,
                "yes" if row.item.bookable else "no",
            )
    out.print(table)
    out.print(f"{counted(len(rows), 'item')}")


@equipment_app.command("show")
def equipment_show(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag, e.g. CF1-00001-X.")],
) -> None:
    """Show every field of an item, its funding shares and its maintenance state."""
    from fabdesk.actors import names_of
    from fabdesk.models import EquipmentCategory, Site
    from inventory.investors import item_shares
    from inventory.lookups import book_value_cents, get_item
    from inventory.maintenance import maintenance_state
    from inventory.register import history

    today = date.today()
    with session_scope(ctx.obj.engine()) as session:
        item = get_item(session, asset_tag)
        site = session.get(Site, item.site_id)
        category = session.get(EquipmentCategory, item.category_id)
        table = Table("field", "value", title=f"{item.asset_tag}  {item.name}", show_header=False)
        rows = [
            ("site / location", f"{site.code if site else '?'} / {item.location}"),
            ("category", category.code if category else "?"),
            ("status", item.status.value),
            ("make / model", f"{item.make} {item.model}".strip()),
            ("serial number", item.serial_number),
            ("acquired", f"{_day(item.acquired_on)}  {_money(item.acquisition_cost_cents)}"),
            ("expected life", f"{item.expected_life_years or ''} years"),
            ("book value today", _money(book_value_cents(item, today))),
            ("bookable", "yes" if item.bookable else "no"),
            ("training category", item.training_category_code or "(its own category)"),
            (
                "rate",
                f"{_money(item.rate_cents_per_hour)}/h per {item.billing_unit_minutes} min, "
                f"minimum {_money(item.minimum_charge_cents)}",
            ),
            (
                "maintenance plan",
                f"every {item.maintenance_every_days or '-'} days / "
                f"{item.maintenance_every_hours or '-'} hours; "
                f"last {_day(item.last_maintenance_on)}",
            ),
            (
                "last seen / next audit",
                f"{_day(item.last_seen_on)} / {_day(item.next_audit_due_on)}",
            ),
            ("notes", item.notes),
            ("manuals", item.manual_urls),
        ]
        if item.status == EquipmentStatus.LENT_OUT:
            rows.append(("lent to", f"{item.lent_to} until {_day(item.lent_until)}"))
        shares = item_shares(session, item)
        rows.append(
            (
                "co-funded by",
                ", ".join(f"{i.code} {s.basis_points / 100:g} %" for i, s in shares) or "own funds",
            )
        )
        state = maintenance_state(session, item.asset_tag, today)
        plan = "OVERDUE" if state.overdue else "due" if state.due else "up to date"
        rows.append(
            (
                "maintenance",
                f"next due {_day(state.due_on) or '-'}; "
                f"{state.hours_since:.1f} h of use since the last"
                + (f" (plan: every {state.hours_limit} h)" if state.hours_limit else "")
                + (f"; {plan}" if item.maintenance_every_days or state.hours_limit else ""),
            )
        )
        events = history(session, item.asset_tag)
        if events:
            last = events[-1]
            who = names_of(session, [last.actor_id])[last.actor_id]
            rows.append(
                ("last change", f"{last.at:%Y-%m-%d %H:%M} UTC, {last.kind.value}, by {who}")
            )
        for name, value in rows:
            table.add_row(name, value)
    out.print(table)


@equipment_app.command("add")
def equipment_add(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="Site code, e.g. cityfab1.")],
    category: Annotated[str, typer.Argument(help="Category code, e.g. laser.")],
    name: Annotated[str, typer.Argument(help="Name shown on labels and screens.")],
    tag: Annotated[
        str | None, typer.Option(help="Asset tag (default: the site's next free one).")
    ] = None,
    location: Annotated[str, typer.Option(help="Room or place in the site.")] = "",
    make: Annotated[str, typer.Option(help="Manufacturer.")] = "",
    model: Annotated[str, typer.Option(help="Model.")] = "",
    serial: Annotated[str, typer.Option(help="Serial number.")] = "",
    acquired: Day = None,
    cost_cents: Annotated[int | None, typer.Option(help="Acquisition cost in cents.")] = None,
    life_years: Annotated[int | None, typer.Option(help="Expected life in years.")] = None,
    rate_cents: Annotated[int, typer.Option(help="Usage rate in cents an hour.")] = 0,
    every_days: Annotated[int | None, typer.Option(help="Maintenance every N days.")] = None,
    every_hours: Annotated[
        int | None, typer.Option(help="Maintenance every N hours of use.")
    ] = None,
    not_bookable: Annotated[bool, typer.Option(help="Cannot be booked.")] = False,
    manual: Annotated[list[str] | None, typer.Option(help="Link to a manual (repeat).")] = None,
    acting: ActingManager = None,
) -> None:
    """Register a new item; prints its asset tag."""
    from inventory.register import NewItem, add_item

    new = NewItem(
        site_code=site,
        category_code=category,
        name=name,
        asset_tag=tag,
        location=location,
        make=make,
        model=model,
        serial_number=serial,
        acquired_on=acquired.date() if acquired else None,
        acquisition_cost_cents=cost_cents,
        expected_life_years=life_years,
        rate_cents_per_hour=rate_cents,
        maintenance_every_days=every_days,
        maintenance_every_hours=every_hours,
        bookable=not not_bookable,
        manual_urls=tuple(manual or ()),
    )
    with session_scope(ctx.obj.engine()) as session:
        item = add_item(session, new, actor=ctx.obj.actor(session, acting), now=utc_now())
        tag_added = item.asset_tag
    out.print(f"Added {tag_added}.")


@equipment_app.command("edit")
def equipment_edit(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag.")],
    changes: Annotated[
        list[str],
        typer.Argument(
            help="FIELD=VALUE pairs, e.g. make=Trotec acquired_on=2024-03-01 "
            "maintenance_every_days=90 category=laser (empty value clears an optional field)."
        ),
    ],
    reason: Reason = "",
    acting: ActingManager = None,
) -> None:
    """Change fields of an item; each change is kept in its history."""
    from inventory.register import edit_item

    values: dict[str, object] = {}
    for change in changes:
        field, sep, value = change.partition("=")
        if not sep:
            raise InvalidValue(
                "{change!r} is not FIELD=VALUE.", change=change, error_code="edit_syntax"
            )
        values[field.strip()] = value
    with session_scope(ctx.obj.engine()) as session:
        events = edit_item(
            session,
            asset_tag,
            values,
            actor=ctx.obj.actor(session, acting),
            now=utc_now(),
            reason=reason,
        )
        count = len(events)
    out.print(f"{counted(count, 'field')} changed." if count else "Nothing changed.")


@equipment_app.command("move")
def equipment_move(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag.")],
    reason: Reason,
    site: Annotated[str | None, typer.Option(help="New site (code).")] = None,
    location: Annotated[str | None, typer.Option(help="New location in the site.")] = None,
    acting: ActingManager = None,
) -> None:
    """Move an item to another site and/or location."""
    from inventory.register import move_item

    with session_scope(ctx.obj.engine()) as session:
        move_item(
            session,
            asset_tag,
            site_code=site,
            location=location,
            actor=ctx.obj.actor(session, acting),
            now=utc_now(),
            reason=reason,
        )
    out.print("Moved.")


@equipment_app.command("status")
def equipment_status(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag.")],
    status: Annotated[EquipmentStatus, typer.Argument(help="The new status.")],
    reason: Reason,
    to: Annotated[str | None, typer.Option("--to", help="Borrower (lent_out only).")] = None,
    until: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Return date (lent_out only).")
    ] = None,
    acting: ActingManager = None,
) -> None:
    """Put an item in service, out of order, in maintenance, lend it out, or retire it (final)."""
    from inventory.register import change_status

    with session_scope(ctx.obj.engine()) as session:
        change_status(
            session,
            asset_tag,
            status,
            reason=reason,
            actor=ctx.obj.actor(session, acting),
            now=utc_now(),
            lent_to=to,
            lent_until=until.date() if until else None,
        )
    out.print(f"{asset_tag.upper()} is now {status.value}.")


@equipment_app.command("history")
def equipment_history(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag.")],
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write the history to this CSV file instead.")
    ] = None,
) -> None:
    """Show (or export) every change of an item: who, when, what and why."""
    from fabdesk.actors import names_of
    from inventory.csv_io import history_csv
    from inventory.register import history

    with session_scope(ctx.obj.engine()) as session:
        if csv_file is not None:
            csv_file.write_text(history_csv(session, asset_tag), encoding="utf-8")
            out.print(f"Wrote {csv_file}.")
            return
        events = history(session, asset_tag)
        names = names_of(session, (e.actor_id for e in events))
    # The dates never wrap nor shrink; the free texts fold to what is left of the terminal.
    table = Table(
        Column("when (UTC)", no_wrap=True, min_width=16),
        Column("who", overflow="fold"),
        Column("what", no_wrap=True),
        Column("field", overflow="fold"),
        Column("before", overflow="fold"),
        Column("after", overflow="fold"),
        Column("why", overflow="fold"),
    )
    for event in events:
        table.add_row(
            event.at.strftime("%Y-%m-%d %H:%M"),
            names[event.actor_id],
            event.kind.value,
            event.field,
            event.old_value,
            event.new_value,
            event.reason,
        )
    out.print(table)


@equipment_app.command("maintained")
def equipment_maintained(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag.")],
    on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Day it was done (default today).")
    ] = None,
    notes: Annotated[str, typer.Option(help="What was done.")] = "",
    cost: Annotated[
        str | None, typer.Option(help="What it cost, in euros: 120,50 or 120.50.")
    ] = None,
    supplier: Annotated[str, typer.Option(help="Who did it or sold the parts.")] = "",
    acting: ActingManager = None,
) -> None:
    """Record a maintenance done (notes, cost, supplier): the item's maintenance plan restarts
    from it. `fabdesk equipment maintenance TAG` lists the records."""
    from inventory.maintenance import record_maintenance
    from inventory.spreadsheet import parse_euros

    try:
        cost_cents = parse_euros(cost) if cost else None
    except ValueError as problem:
        raise InvalidValue(
            "cost: {problem}.", problem=str(problem), error_code="field_value"
        ) from None
    now = utc_now()
    with session_scope(ctx.obj.engine()) as session:
        record_maintenance(
            session,
            asset_tag,
            done_on=on.date() if on else now.date(),
            actor=ctx.obj.actor(session, acting),
            now=now,
            notes=notes,
            cost_cents=cost_cents,
            supplier=supplier,
        )
    out.print("Maintenance recorded.")


@equipment_app.command("maintenance")
def equipment_maintenance(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag.")],
) -> None:
    """List the maintenance records of an item: when, hours of use then, cost, supplier,
    notes, who."""
    from fabdesk.actors import names_of
    from inventory.maintenance import maintenance_records

    with session_scope(ctx.obj.engine()) as session:
        records = maintenance_records(session, asset_tag)
        names = names_of(session, (r.actor_id for r in records))
    table = Table(
        Column("done on", no_wrap=True),
        Column("hours of use", justify="right"),
        Column("cost", justify="right", no_wrap=True),
        "supplier",
        "notes",
        "by",
        title=asset_tag.upper(),
    )
    for record in records:
        table.add_row(
            _day(record.done_on),
            f"{record.usage_hours:.1f}",
            _money(record.cost_cents),
            record.supplier,
            record.notes,
            names[record.actor_id],
        )
    out.print(table)
    total = sum(r.cost_cents or 0 for r in records)
    out.print(
        f"{counted(len(records), 'record')}, {_money(total) or '€ 0.00'} in all.", highlight=False
    )


@equipment_app.command("due")
def equipment_due(
    ctx: typer.Context,
    within: Annotated[int, typer.Option(help="Also list what falls due within N days.")] = 0,
    site: Annotated[str | None, typer.Option(help="Only this site (code).")] = None,
) -> None:
    """List items whose maintenance is due or overdue."""
    from inventory.maintenance import maintenance_due

    with session_scope(ctx.obj.engine()) as session:
        states = maintenance_due(session, date.today(), within_days=within, site_code=site)
    table = Table("asset tag", "name", "site", "due on", "hours since / plan", "state")
    for state in states:
        table.add_row(
            state.item.asset_tag,
            state.item.name,
            state.site_code,
            _day(state.due_on) or "never done",
            f"{state.hours_since:.1f} / {state.hours_limit or '-'}",
            "overdue" if state.overdue else "due",
        )
    out.print(table)
