"""Core commands: init, seed, demo, config, db, makers."""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.engine import Engine

from fabdesk.cli._app import app, out
from fabdesk.db import session_scope, upgrade
from fabdesk.settings import data_dir

config_app = typer.Typer(help="Look at the settings in force.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema tools (for developers).", no_args_is_help=True)
makers_app = typer.Typer(
    help="The member register: makers and their trainings.", no_args_is_help=True
)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(makers_app, name="makers")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the database, or bring its schema up to date. Safe to run again."""
    engine = ctx.obj.engine()
    upgrade(engine)
    out.print(f"Database ready: {engine.url.render_as_string(hide_password=True)}")


@app.command()
def seed(ctx: typer.Context) -> None:
    """Fill the database with the Cityfab demo network (3 sites, ~40 machines, 200 makers).

    Idempotent: a second run adds nothing and changes nothing.
    """
    engine = ctx.obj.engine()
    upgrade(engine)
    _seed(engine)


def _seed(engine: Engine) -> None:
    from inventory.seed import seed as seed_network

    with session_scope(engine) as session:
        report = seed_network(session, today=date.today())
    if not report.added:
        out.print("Nothing to add: the demo data is already there.")
        return
    table = Table("added", "rows", title="Seeded the Cityfab network")
    for kind, count in report.added.items():
        table.add_row(kind, str(count))
    out.print(table)


@app.command()
def demo(
    data: Annotated[
        Path | None,
        typer.Option(help="Folder for the demo database (default: the user data folder/demo)."),
    ] = None,
    headless: Annotated[
        float | None,
        typer.Option(
            help="Run without the kiosk for this many seconds, with a job on every simulated "
            "machine, then print what the lab recorded (for a quick look or a test).",
            min=1,
        ),
    ] = None,
) -> None:
    """Start the whole lab on this machine and open the kiosk in front of it.

    A fresh demo database with the Cityfab network; the server and the scheduler; three
    simulated machines at Cityfab1 (a laser, a printer, a vinyl cutter's usage meter), each read by
    a real driver posting to the server. At the kiosk, scan (type) a badge and press Enter:
    DEMO-ANA (trained, with a maker cheque; her jobs are charged to it), DEMO-JAN, DEMO-EMMA, or
    DEMO-BOSS with PIN 1234 for the manager screens. Logs go to demo.log in the folder.
    Quit with Ctrl+Q.
    """
    from fabdesk.demo import DemoLab, configure_demo_logging, now_utc, prepare, summary

    folder = data or data_dir() / "demo"
    with out.status("Preparing the demo lab…"):
        setup = prepare(folder, now_utc())
    log_file = configure_demo_logging(folder)
    with DemoLab(setup) as lab:
        if headless is None:
            from kiosk.app import KioskApp

            KioskApp.of(setup.settings, connect=lambda: setup.engine).run()
        else:
            for tag in lab.simulators:
                lab.run_job(tag, seconds=min(10.0, headless / 2))
            with out.status(f"The lab runs for {headless:g} s…"):
                time.sleep(headless)
    result = summary(setup.engine, now_utc().date())
    table = Table("what", "count", title="The demo lab recorded")
    table.add_row("usage sessions", str(result.usage_sessions))
    table.add_row("finished sessions", str(result.finished_sessions))
    table.add_row("charged sessions", str(result.charged_sessions))
    table.add_row("left on DEMO-ANA's cheque", f"€ {result.ana_cheque_left_cents / 100:.2f}")
    out.print(table)
    out.print(f"Database: {folder / 'fabdesk.db'}; logs: {log_file}")


@makers_app.command("add")
def makers_add(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number printed on the card.")],
    name: Annotated[str, typer.Argument(help="Full name.")],
    email: Annotated[str, typer.Option(help="E-mail address for reminders.")] = "",
    language: Annotated[str, typer.Option(help="fr, nl or en.")] = "fr",
    badge: Annotated[str | None, typer.Option(help="Badge id as the scanner types it.")] = None,
    enterprise_number: Annotated[
        str | None,
        typer.Option(help="Belgian enterprise number (0123.456.749) if the maker has a company."),
    ] = None,
    tier: Annotated[
        str, typer.Option(help="Price tier: standard, student or nonprofit.")
    ] = "standard",
    sector: Annotated[
        str | None,
        typer.Option(
            help="Industrial Plan sector: construction, manufacturing, agrifood, health, creative."
        ),
    ] = None,
) -> None:
    """Register a maker, with their price tier and sector."""
    from inventory.makers import NewMaker, register_maker

    new = NewMaker(
        member_number, name, email, language, badge, enterprise_number, tier=tier, sector=sector
    )
    with session_scope(ctx.obj.engine()) as session:
        maker = register_maker(session, new)
    out.print(f"Registered maker {maker.member_number}.")


@makers_app.command("edit")
def makers_edit(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number of the maker.")],
    tier: Annotated[
        str | None, typer.Option(help="Price tier: standard, student or nonprofit.")
    ] = None,
    sector: Annotated[
        str | None,
        typer.Option(
            help="construction, manufacturing, agrifood, health, creative, or none to clear."
        ),
    ] = None,
) -> None:
    """Change a maker's price tier or sector."""
    from inventory.makers import get_maker, set_profile

    with session_scope(ctx.obj.engine()) as session:
        maker = set_profile(session, get_maker(session, member_number), tier=tier, sector=sector)
        shown = f"tier {maker.tier.value}, sector {maker.sector.value if maker.sector else 'none'}"
    out.print(f"Maker {member_number}: {shown}.")


@makers_app.command("certify")
def makers_certify(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number of the maker.")],
    category: Annotated[str, typer.Argument(help="Equipment category code, e.g. laser.")],
    expires: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Last valid day (default: never)."),
    ] = None,
) -> None:
    """Record that a maker passed the training of an equipment category today."""
    from inventory.makers import certify, get_maker

    with session_scope(ctx.obj.engine()) as session:
        certify(
            session,
            get_maker(session, member_number),
            category,
            granted_on=date.today(),
            expires_on=expires.date() if expires else None,
        )
    out.print(f"Certified {member_number} for {category}.")


@config_app.command("show")
def config_show(ctx: typer.Context) -> None:
    """Print the settings in force, with secrets masked."""
    out.print_json(json.dumps(ctx.obj.settings().masked()))


@db_app.command("revision")
def db_revision(
    ctx: typer.Context,
    message: Annotated[str, typer.Argument(help="What the migration does, e.g. 'add bookings'.")],
    rev_id: Annotated[
        str | None, typer.Option(help="Revision id, e.g. 0002 (default: a random one).")
    ] = None,
    head: Annotated[
        str, typer.Option(help="Revision the new one follows, when there are several heads.")
    ] = "head",
) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    from fabdesk.db import alembic_config

    engine = ctx.obj.engine()
    upgrade(engine)
    command.revision(
        alembic_config(engine), message=message, autogenerate=True, rev_id=rev_id, head=head
    )
