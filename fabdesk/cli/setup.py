"""Setting up a lab by commands: sites, categories, opening hours, closures, public holidays,
booking policies and maintenance windows (see README, "Setting up a new lab")."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated

import typer

from fabdesk.cli._app import app, out, utc_now
from fabdesk.db import session_scope
from fabdesk.i18n import counted

sites_app = typer.Typer(
    help="The sites (one fablab each). Without a subcommand: list them and their machines.",
    invoke_without_command=True,
)
categories_app = typer.Typer(
    help="Machine categories: names in fr/nl/en, training required, lapse.", no_args_is_help=True
)
hours_app = typer.Typer(help="A site's weekly opening hours.", no_args_is_help=True)
closures_app = typer.Typer(
    help="Days a site is closed despite its hours (works, events).", no_args_is_help=True
)
holidays_app = typer.Typer(
    help="Public holidays: Belgium's, plus the regional days a site chooses; open one anyway.",
    no_args_is_help=True,
)
policy_app = typer.Typer(
    help="Booking rules of a machine or a category (else the settings' scheduler.booking).",
    no_args_is_help=True,
)
maintenance_app = typer.Typer(
    help="Maintenance windows: times a machine cannot be booked.", no_args_is_help=True
)
app.add_typer(sites_app, name="sites")
app.add_typer(categories_app, name="categories")
app.add_typer(hours_app, name="hours")
app.add_typer(closures_app, name="closures")
app.add_typer(holidays_app, name="holidays")
app.add_typer(policy_app, name="policy")
app.add_typer(maintenance_app, name="maintenance")

Site = Annotated[str, typer.Argument(help="Site code, e.g. cityfab1.")]
Day = Annotated[datetime, typer.Argument(formats=["%Y-%m-%d"], help="A day: 2027-05-08.")]
Machine = Annotated[
    str | None, typer.Option("--machine", help="Asset tag of the machine, e.g. CF1-0001.")
]
Category = Annotated[str | None, typer.Option("--category", help="Category code, e.g. laser.")]


@sites_app.callback()
def sites(ctx: typer.Context) -> None:
    """List the sites and their machines (`fabdesk sites add|edit` change them)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from inventory.lookups import network_equipment

    with session_scope(ctx.obj.engine()) as session:
        for listing in network_equipment(session):
            table = Table("asset tag", "machine", "category", "status", title=listing.site.name)
            for item, category in listing.items:
                table.add_row(item.asset_tag, item.name, category.name_en, item.status.value)
            out.print(table)


@sites_app.command("add")
def sites_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Short code used in every command: cityfab4.")],
    name: Annotated[str, typer.Argument(help="Name shown to makers: 'Cityfab 4 (Ixelles)'.")],
    address: Annotated[str, typer.Option(help="Street address.")] = "",
    timezone: Annotated[
        str, typer.Option(help="Where local times are read: Europe/Brussels.")
    ] = "Europe/Brussels",
) -> None:
    """Add a site. Then give it opening hours (`fabdesk hours set`) and holidays."""
    from inventory.sites import add_site

    with session_scope(ctx.obj.engine()) as session:
        site = add_site(session, code, name, address=address, timezone=timezone)
        out.print(f"Added site {site.code}: {site.name} ({site.timezone}).", highlight=False)


@sites_app.command("edit")
def sites_edit(
    ctx: typer.Context,
    code: Site,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    address: Annotated[str | None, typer.Option(help="New address.")] = None,
    timezone: Annotated[str | None, typer.Option(help="New timezone.")] = None,
) -> None:
    """Change a site's name, address or timezone."""
    from inventory.sites import edit_site

    with session_scope(ctx.obj.engine()) as session:
        site = edit_site(session, code, name=name, address=address, timezone=timezone)
        out.print(
            f"Site {site.code}: {site.name}, {site.address or 'no address'}, {site.timezone}."
        )


@categories_app.command("add")
def categories_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Short code: laser, fdm, cnc.")],
    en: Annotated[str, typer.Option("--en", help="Name in English.")],
    fr: Annotated[str, typer.Option("--fr", help="Name in French.")],
    nl: Annotated[str, typer.Option("--nl", help="Name in Dutch.")],
    training: Annotated[
        bool, typer.Option("--training/--no-training", help="Makers need its training.")
    ] = True,
    lapse_days: Annotated[
        int | None,
        typer.Option(help="The training lapses after this many days without use.", min=1),
    ] = None,
) -> None:
    """Add a machine category, named in the three languages."""
    from inventory.sites import add_category

    with session_scope(ctx.obj.engine()) as session:
        category = add_category(
            session,
            code,
            name_en=en,
            name_fr=fr,
            name_nl=nl,
            needs_training=training,
            lapse_after_days=lapse_days,
        )
        out.print(f"Added category {category.code}.")


@categories_app.command("edit")
def categories_edit(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Category code.")],
    en: Annotated[str | None, typer.Option("--en", help="New name in English.")] = None,
    fr: Annotated[str | None, typer.Option("--fr", help="New name in French.")] = None,
    nl: Annotated[str | None, typer.Option("--nl", help="New name in Dutch.")] = None,
    training: Annotated[
        bool | None, typer.Option("--training/--no-training", help="Makers need its training.")
    ] = None,
    lapse_days: Annotated[
        int | None, typer.Option(help="Lapse after this many days without use (0: never).")
    ] = None,
) -> None:
    """Change a category's names, its training rule or its lapse."""
    from inventory.sites import edit_category

    names = {k: v for k, v in (("en", en), ("fr", fr), ("nl", nl)) if v is not None}
    with session_scope(ctx.obj.engine()) as session:
        edit_category(
            session,
            code,
            names=names,
            needs_training=training,
            lapse_after_days=lapse_days or None,
            never_lapses=lapse_days == 0,
        )
    out.print(f"Category {code} changed.")


@categories_app.command("list")
def categories_list(ctx: typer.Context) -> None:
    """List the categories."""
    from rich.table import Table

    from inventory.sites import list_categories

    table = Table("code", "en", "fr", "nl", "training", "lapse (days)", title="Categories")
    with session_scope(ctx.obj.engine()) as session:
        for c in list_categories(session):
            lapse = str(c.lapse_after_days or "never")
            table.add_row(
                c.code, c.name_en, c.name_fr, c.name_nl, "yes" if c.needs_training else "no", lapse
            )
    out.print(table)


@hours_app.command("set")
def hours_set(
    ctx: typer.Context,
    site: Site,
    weekdays: Annotated[
        str, typer.Argument(help="monday … sunday, or several: mon,tue,wed (or mon-fri).")
    ],
    windows: Annotated[
        str, typer.Argument(help="10:00-18:00, or 9:00-12:30,13:30-18:00, or closed.")
    ],
) -> None:
    """Set a site's opening hours on some weekdays (replacing what they had)."""
    from scheduling.calendar import WEEKDAYS, parse_windows, set_hours, weekday_number

    days: list[int] = []
    for part in weekdays.split(","):
        first, _, last = part.partition("-")
        start = weekday_number(first)
        days.extend(range(start, weekday_number(last) + 1) if last else [start])
    parsed = parse_windows(windows)
    with session_scope(ctx.obj.engine()) as session:
        for day in days:
            set_hours(session, site, day, parsed)
    shown = ", ".join(WEEKDAYS[d] for d in days)
    out.print(f"{site}: {shown} {windows if parsed else 'closed'}.")


@hours_app.command("show")
def hours_show(ctx: typer.Context, site: Site) -> None:
    """Show a site's weekly opening hours."""
    from scheduling.calendar import WEEKDAYS, hours_of

    with session_scope(ctx.obj.engine()) as session:
        rows = hours_of(session, site)
    for number, day in enumerate(WEEKDAYS):
        spans = [
            f"{o:%H:%M}-{'24:00' if c == time.max else f'{c:%H:%M}'}"
            for d, o, c in rows
            if d == number
        ]
        out.print(f"{day:<10} {', '.join(spans) or 'closed'}")


@closures_app.command("add")
def closures_add(
    ctx: typer.Context,
    site: Site,
    first: Day,
    reason: Annotated[str, typer.Option(help="Why: told to the makers who are refused.")],
    until: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last closed day.")
    ] = None,
) -> None:
    """Close a site on a day, or from a day until another."""
    from scheduling.calendar import add_closure

    with session_scope(ctx.obj.engine()) as session:
        add_closure(session, site, first.date(), until.date() if until else None, reason=reason)
    out.print(f"{site} closed from {first:%Y-%m-%d} to {(until or first):%Y-%m-%d}: {reason}.")


@closures_app.command("list")
def closures_list(ctx: typer.Context, site: Site) -> None:
    """List a site's closures and holidays from today on."""
    from scheduling.calendar import closures_of

    with session_scope(ctx.obj.engine()) as session:
        found = closures_of(session, site, since=utc_now().date())
    for c in found:
        span = str(c.first_day) + ("" if c.last_day == c.first_day else f" to {c.last_day}")
        out.print(f"{span}  {c.reason}{' (public holiday)' if c.holiday else ''}")
    if not found:
        out.print("No closure to come.")


@holidays_app.command("add")
def holidays_add(
    ctx: typer.Context,
    site: Site,
    year: Annotated[int, typer.Option(help="Year of the holidays.", min=2000, max=2100)],
    region: Annotated[
        list[str] | None,
        typer.Option(
            help="A regional or community day to close too: brussels (8 May), flemish "
            "(11 July), french (27 Sept), german (15 Nov). Repeat for several."
        ),
    ] = None,
) -> None:
    """Close a site on Belgium's public holidays of a year (New Year, Easter Monday, 1 May,
    Ascension, Whit Monday, 21 July, 15 August, 1 and 11 November, Christmas) and the regional
    days it chooses. Idempotent; `fabdesk holidays open` opens one of them anyway."""
    from scheduling.calendar import add_holidays

    with session_scope(ctx.obj.engine()) as session:
        added = add_holidays(session, site, year, region or [])
    for c in added:
        out.print(f"{c.first_day}  {c.reason}")
    out.print(f"{counted(len(added), 'holiday')} added to {site}.")


@holidays_app.command("open")
def holidays_open(ctx: typer.Context, site: Site, day: Day) -> None:
    """Open a site on a holiday (or closure) day anyway; its weekly hours apply."""
    from scheduling.calendar import open_anyway

    with session_scope(ctx.obj.engine()) as session:
        changed = open_anyway(session, site, day.date())
    out.print(f"{site} opens on {day:%Y-%m-%d}" + ("." if changed else ": it was not closed."))


_RULES = {
    "buffer": "buffer_minutes",
    "min_length": "min_minutes",
    "max_length": "max_minutes",
    "days_ahead": "max_days_ahead",
    "check_in_before": "check_in_before_minutes",
    "check_in_after": "check_in_after_minutes",
    "cancel_cutoff": "cancel_cutoff_minutes",
    "hours_per_week": "max_hours_per_week",
    "future_bookings": "max_future_bookings",
}
Minutes = Annotated[int | None, typer.Option(min=0, help="Minutes.")]
Count = Annotated[int | None, typer.Option(min=0, help="0 = no limit.")]


@policy_app.command("set")
def policy_set(
    ctx: typer.Context,
    machine: Machine = None,
    category: Category = None,
    buffer: Annotated[int | None, typer.Option(min=0, help="Minutes held after a booking.")] = None,
    min_length: Annotated[
        int | None, typer.Option(min=1, help="Shortest booking, minutes.")
    ] = None,
    max_length: Annotated[int | None, typer.Option(min=1, help="Longest booking, minutes.")] = None,
    days_ahead: Annotated[int | None, typer.Option(min=0, help="Booking horizon, days.")] = None,
    check_in_before: Minutes = None,
    check_in_after: Annotated[
        int | None, typer.Option(min=0, help="Minutes after the start before a no-show.")
    ] = None,
    cancel_cutoff: Annotated[
        int | None, typer.Option(min=0, help="Cancelling later than this before is late.")
    ] = None,
    hours_per_week: Annotated[
        int | None, typer.Option(min=0, help="Hours per maker and week (0: no limit).")
    ] = None,
    future_bookings: Count = None,
) -> None:
    """Give a machine (--machine) or a category (--category) its own booking rules; what is
    not given keeps the value in force. A machine's rules win over its category's."""
    from scheduling.policies import set_policy

    given = locals()
    changes = {
        field: given[option] for option, field in _RULES.items() if given[option] is not None
    }
    with session_scope(ctx.obj.engine()) as session:
        rules = set_policy(
            session, ctx.obj.settings().scheduler, changes, asset_tag=machine, category=category
        )
    out.print(f"Rules of {machine or category}: {_describe(rules.model_dump())}")


def _describe(values: dict[str, int]) -> str:
    return ", ".join(f"{option.replace('_', '-')} {values[f]}" for option, f in _RULES.items())


@policy_app.command("show")
def policy_show(ctx: typer.Context, machine: Machine = None, category: Category = None) -> None:
    """Show the booking rules in force for a machine or a category, and where they come from."""
    from scheduling.policies import rules_in_force

    with session_scope(ctx.obj.engine()) as session:
        rules, source = rules_in_force(
            session, ctx.obj.settings().scheduler, asset_tag=machine, category=category
        )
    out.print(f"{machine or category} ({source}): {_describe(rules.model_dump())}")


@policy_app.command("clear")
def policy_clear(ctx: typer.Context, machine: Machine = None, category: Category = None) -> None:
    """Drop a machine's or a category's own rules: the next level applies again."""
    from scheduling.policies import clear_policy

    with session_scope(ctx.obj.engine()) as session:
        dropped = clear_policy(session, asset_tag=machine, category=category)
    out.print(f"{machine or category}: " + ("own rules dropped." if dropped else "no own rules."))


@maintenance_app.command("add")
def maintenance_add(
    ctx: typer.Context,
    asset_tag: Annotated[str, typer.Argument(help="Asset tag of the machine.")],
    starts: Annotated[
        datetime,
        typer.Argument(
            formats=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"], help="Start, local time of the site."
        ),
    ],
    length: Annotated[str, typer.Option(help="How long: 2h, 90m, 1h30.")],
    reason: Annotated[str, typer.Option(help="What is done (shown when refusing).")] = "",
) -> None:
    """Keep a machine from being booked during a maintenance window."""
    from fabdesk.cli.scheduling import parse_length
    from scheduling.policies import add_maintenance

    with session_scope(ctx.obj.engine()) as session:
        add_maintenance(session, asset_tag, starts, parse_length(length), reason=reason)
    out.print(f"{asset_tag.upper()} under maintenance from {starts:%Y-%m-%d %H:%M} for {length}.")
