"""Booking commands: `fabdesk book`, `fabdesk bookings …`, `fabdesk availability`, `scheduler`.

Times on the command line are wall-clock times of the machine's site (Europe/Brussels), shown the
same way; the database keeps them in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from fabdesk.cli._app import app, out, utc_now
from fabdesk.db import session_scope, write_session
from fabdesk.errors import InvalidValue
from fabdesk.i18n import counted
from scheduling.times import Fold, local_instant

if TYPE_CHECKING:
    from sqlmodel import Session

    from fabdesk.models import Maker
    from fabdesk.settings import SchedulerSettings
    from scheduling.machines import Machine

bookings_app = typer.Typer(
    help="Look at and change bookings: list, cancel, check in, complete, release no-shows.",
    no_args_is_help=True,
)
app.add_typer(bookings_app, name="bookings")


def parse_length(text: str) -> timedelta:
    """`90m`, `2h`, `1h30` or `1:30` as a length of time."""
    match = re.fullmatch(r"\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m?)?\s*", text) or re.fullmatch(
        r"\s*(\d+):(\d{2})\s*", text
    )
    if not match or not any(match.groups()):
        raise InvalidValue(
            "Length {value!r} is not understood: write 90m, 2h or 1h30.",
            value=text,
            error_code="length",
        )
    hours, minutes = (int(g) if g else 0 for g in match.groups())
    return timedelta(hours=hours, minutes=minutes)


def _show(value: datetime, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime("%a %d %b %Y %H:%M")


_WHEN = typer.Argument(
    formats=["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"],
    help="Start, local time of the site: '2026-11-25 14:00'.",
)

LengthOption = Annotated[str, typer.Option(help="How long: 90m, 2h, 1h30.")]
FoldOption = Annotated[
    Fold | None,
    typer.Option(
        help="When the start happens twice (the night the clocks go back): the earlier "
        "or the later one. Without it such a time is refused."
    ),
]


@dataclass(frozen=True)
class Slot:
    """What a command asks for a maker on a machine, from when to when (UTC)."""

    maker: Maker
    machine: Machine
    starts_at: datetime
    ends_at: datetime


def wanted_slot(
    session: Session,
    rules: SchedulerSettings,
    member_number: str,
    asset_tag: str,
    starts: datetime,
    length: str,
    fold: Fold | None,
) -> Slot:
    """The maker, the machine and the slot a command names: `starts` read in the machine's site's
    timezone (`fold` chooses a time that happens twice), `length` real time."""
    from inventory.makers import get_maker
    from scheduling.machines import find_machine, load_machine

    maker = get_maker(session, member_number)
    machine = load_machine(session, find_machine(session, asset_tag), rules)
    starts_at = local_instant(starts, machine.timezone, fold)
    return Slot(maker, machine, starts_at, starts_at + parse_length(length))


@app.command()
def book(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number of the maker.")],
    asset_tag: Annotated[str, typer.Argument(help="Asset tag of the machine, e.g. CF1-0001.")],
    starts: Annotated[datetime, _WHEN],
    length: LengthOption = "1h",
    on_behalf_of: Annotated[
        str | None,
        typer.Option(
            "--on-behalf-of",
            help="Code of a paying organisation the maker is linked to: it is billed instead.",
        ),
    ] = None,
    fold: FoldOption = None,
) -> None:
    """Book a machine for a maker. Every booking rule applies; a refusal says which and why.

    The start is read in the site's timezone and the length is real time: 2h from 01:30 on the
    night the clocks go forward ends at 04:30 local. A time that does not exist that night
    (02:30) is refused."""
    from inventory.organisations import get_organisation
    from scheduling.bookings import book as book_machine

    settings = ctx.obj.settings()
    with write_session(ctx.obj.engine()) as session:
        slot = wanted_slot(
            session, settings.scheduler, member_number, asset_tag, starts, length, fold
        )
        machine = slot.machine
        booking = book_machine(
            session,
            maker_id=slot.maker.id or 0,
            equipment_id=machine.id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            now=utc_now(),
            settings=settings.scheduler,
            on_behalf_of=get_organisation(session, on_behalf_of).id if on_behalf_of else None,
        )
    out.print(
        f"Booked {machine.name} ({asset_tag}) for {member_number}"
        + (f" on behalf of {on_behalf_of.upper()}" if on_behalf_of else "")
        + ": "
        f"{_show(booking.starts_at, machine.timezone)} to "
        f"{_show(booking.ends_at, machine.timezone)}, booking {booking.id}."
    )


@bookings_app.command("list")
def bookings_list(
    ctx: typer.Context,
    member_number: Annotated[
        str | None, typer.Option("--maker", help="Only this maker's bookings.")
    ] = None,
    asset_tag: Annotated[
        str | None, typer.Option("--machine", help="Only this machine's bookings.")
    ] = None,
    days: Annotated[int, typer.Option(help="How many days ahead, from today.")] = 7,
) -> None:
    """List bookings from today on."""
    from sqlmodel import col, select

    from fabdesk.models import Booking, Equipment, Maker, Site
    from inventory.makers import get_maker
    from scheduling.machines import find_machine

    now = utc_now()
    with session_scope(ctx.obj.engine()) as session:
        query = (
            select(Booking, Equipment.asset_tag, Maker.member_number, Site.timezone)
            .join(Equipment, col(Equipment.id) == Booking.equipment_id)
            .join(Maker, col(Maker.id) == Booking.maker_id)
            .join(Site, col(Site.id) == Equipment.site_id)
            .where(
                col(Booking.ends_at) > now - timedelta(days=1),
                col(Booking.starts_at) < now + timedelta(days=days),
            )
            .order_by(col(Booking.starts_at), col(Booking.id))
        )
        if member_number:
            query = query.where(Booking.maker_id == get_maker(session, member_number).id)
        if asset_tag:
            query = query.where(Booking.equipment_id == find_machine(session, asset_tag))
        rows = session.exec(query).all()
    table = Table("id", "machine", "maker", "starts", "ends", "state", title="Bookings")
    for booking, tag, member, timezone in rows:
        table.add_row(
            str(booking.id),
            tag,
            member,
            _show(booking.starts_at, timezone),
            _show(booking.ends_at, timezone),
            booking.state.value,
        )
    out.print(table)


@bookings_app.command("cancel")
def bookings_cancel(
    ctx: typer.Context,
    booking_id: Annotated[int, typer.Argument(help="Booking number.")],
    reason: Annotated[str, typer.Option(help="Why the lab cancels it (told to the maker).")] = "",
) -> None:
    """Cancel a booking on the lab's behalf (no late-cancellation strike for the maker)."""
    from scheduling.bookings import cancel

    with write_session(ctx.obj.engine()) as session:
        booking = cancel(
            session,
            booking_id=booking_id,
            now=utc_now(),
            reason=reason,
            settings=ctx.obj.settings().scheduler,
        )
    out.print(f"Cancelled booking {booking.id}.")


@bookings_app.command("extend")
def bookings_extend(
    ctx: typer.Context,
    booking_id: Annotated[int, typer.Argument(help="Booking number.")],
    by: Annotated[str, typer.Option(help="How much longer: 30m, 1h.")] = "30m",
) -> None:
    """Make a live booking longer, when the machine is free (the rules of a booking apply)."""
    from scheduling.bookings import extend
    from scheduling.lookups import get_booking

    with write_session(ctx.obj.engine()) as session:
        current = get_booking(session, booking_id)
        booking = extend(
            session,
            booking_id=booking_id,
            ends_at=current.ends_at + parse_length(by),
            now=utc_now(),
            settings=ctx.obj.settings().scheduler,
        )
    out.print(f"Extended booking {booking.id} until {booking.ends_at.isoformat()}.")


@app.command("walk-in")
def walk_in_command(
    ctx: typer.Context,
    member_number: Annotated[str, typer.Argument(help="Member number of the maker.")],
    asset_tag: Annotated[str, typer.Argument(help="Asset tag of the machine.")],
    length: Annotated[str, typer.Option(help="How long: 30m, 1h, 2h.")] = "1h",
) -> None:
    """Book a machine from now and check in at once (as at the kiosk's W)."""
    from inventory.makers import get_maker
    from scheduling.bookings import walk_in
    from scheduling.machines import find_machine

    with write_session(ctx.obj.engine()) as session:
        booking = walk_in(
            session,
            maker_id=get_maker(session, member_number).id or 0,
            equipment_id=find_machine(session, asset_tag),
            length=parse_length(length),
            now=utc_now(),
            settings=ctx.obj.settings().scheduler,
        )
    out.print(f"Checked in: booking {booking.id} until {booking.ends_at.isoformat()}.")


@bookings_app.command("check-in")
def bookings_check_in(
    ctx: typer.Context,
    booking_id: Annotated[int, typer.Argument(help="Booking number.")],
) -> None:
    """Check in a booking (from a few minutes before its start to a few minutes after)."""
    from scheduling.bookings import check_in

    with write_session(ctx.obj.engine()) as session:
        booking = check_in(
            session, booking_id=booking_id, now=utc_now(), settings=ctx.obj.settings().scheduler
        )
    out.print(f"Checked in booking {booking.id}.")


@bookings_app.command("complete")
def bookings_complete(
    ctx: typer.Context,
    booking_id: Annotated[int, typer.Argument(help="Booking number.")],
) -> None:
    """Finish a checked-in booking now; the rest of its time becomes free."""
    from scheduling.attendance import complete

    with write_session(ctx.obj.engine()) as session:
        booking = complete(session, booking_id=booking_id, now=utc_now())
    out.print(f"Completed booking {booking.id}.")


@bookings_app.command("release-no-shows")
def bookings_release_no_shows(ctx: typer.Context) -> None:
    """Release the bookings nobody checked in for (the scheduler does it every minute)."""
    from scheduling.releases import release_no_shows

    with write_session(ctx.obj.engine()) as session:
        released = release_no_shows(session, utc_now(), ctx.obj.settings().scheduler)
    out.print(f"Released {counted(len(released), 'no-show booking')}.")


@app.command()
def availability(
    ctx: typer.Context,
    site: Annotated[str, typer.Argument(help="Site code, e.g. cityfab1.")] = "",
    day: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Day (default: today).")
    ] = None,
    category: Annotated[
        str | None,
        typer.Option(help="Find the next free slot of this category instead, e.g. laser."),
    ] = None,
    length: Annotated[str, typer.Option(help="Length of the slot sought: 2h, 90m.")] = "1h",
) -> None:
    """Show a site's day board, or with --category the next free slot (one site or all)."""
    from scheduling.availability import next_free_slot, site_board, today_at

    settings = ctx.obj.settings()
    timezone = settings.scheduler.timezone
    now = utc_now()
    with session_scope(ctx.obj.engine()) as session:
        if category:
            slot = next_free_slot(
                session,
                category,
                parse_length(length),
                now,
                site=site or None,
                settings=settings.scheduler,
            )
            if slot is None:
                out.print(f"No free {category} slot of {length} in the next four weeks.")
            else:
                out.print(
                    f"Next free {category} slot: {slot.name} at {slot.site_code}, "
                    f"{_show(slot.starts_at, timezone)} to {_show(slot.ends_at, timezone)}."
                )
            return
        if not site:
            raise InvalidValue("Name a site, or give --category.", error_code="usage")
        wanted: date = day.date() if day else today_at(session, now, site_code=site)
        board = site_board(session, site, wanted)
    title = f"{board.site_name}, {board.day.isoformat()}"
    if board.closed or not board.opening:
        out.print(f"{title}: closed ({board.closed or 'no opening hours that day'}).")
        return
    table = Table("machine", "name", "status", "taken", title=title)
    for machine in board.machines:
        taken = ", ".join(
            f"{b.starts_at.astimezone(ZoneInfo(board.timezone)):%H:%M}-"
            f"{b.ends_at.astimezone(ZoneInfo(board.timezone)):%H:%M} {b.kind}"
            for b in machine.blocks
            if b.kind != "buffer"
        )
        table.add_row(machine.asset_tag, machine.name, machine.status.value, taken or "free")
    out.print(table)


@app.command()
def scheduler(ctx: typer.Context) -> None:
    """Run the background jobs alone (no-shows, reminders, waitlist offers, warnings).

    Several may run against one PostgreSQL database: one leads, the others wait to take over.
    Stop with Ctrl-C or SIGTERM (systemd): jobs under way get a few seconds to finish, then the
    scheduler ends (`scheduler_stopped` in the log); a job cut short runs again at its next turn.
    """
    from fabdesk.cli._stopping import GRACE_SECONDS, StopSignals, exit_when_stopped
    from fabdesk.logs import configure_logging
    from scheduling.jobs import SchedulerService

    settings = ctx.obj.settings()
    configure_logging(settings)
    signals = StopSignals().install()
    service = SchedulerService(settings, ctx.obj.engine())
    service.start()  # the main thread only waits for the signal: never stuck in a database call
    out.print("Scheduler running (Ctrl-C to stop).")
    signals.wait()
    signals.announce()
    service.shutdown(wait=False, timeout=GRACE_SECONDS)
    exit_when_stopped("scheduler", signals, grace=GRACE_SECONDS)
