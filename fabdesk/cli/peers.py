"""What the best peers do: the booked-used-charged report, the accountant's ledger export,
trainings (and their lapse when unused), charge disputes, problem reports, machines checked after
use and hand-overs (`fabdesk report|ledger|trainings|disputes|problems|equipment|bookings`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlmodel import Session

from fabdesk.cli._app import ActingManager, app, err, out, utc_now
from fabdesk.cli.accounting import ledger_app  # `ledger export` joins `ledger check`
from fabdesk.cli.inventory import equipment_app  # `check-after-use` and `release` join it
from fabdesk.cli.scheduling import FoldOption, bookings_app  # `hand-over` joins bookings
from fabdesk.db import session_scope, write_session
from fabdesk.errors import InvalidValue
from fabdesk.files import write_private
from fabdesk.i18n import counted
from scheduling.times import Fold, local_instant

trainings_app = typer.Typer(
    help="Training sessions: trainers of a category give them, makers enrol, a pass certifies.\n\n"
    "`fabdesk trainings trainer --maker M-1 --category laser` lets M-1 train; then "
    "`fabdesk trainings add`, `enrol`, `pass`, `list`.",
    no_args_is_help=True,
)
disputes_app = typer.Typer(
    help="Charges makers dispute: accept (the charge is reversed) or refuse with a reason.",
    no_args_is_help=True,
)
problems_app = typer.Typer(
    help="Problems makers reported on machines (serious ones put the machine out of order).",
    no_args_is_help=True,
)
app.add_typer(trainings_app, name="trainings")
app.add_typer(disputes_app, name="disputes")
app.add_typer(problems_app, name="problems")

Month = Annotated[str, typer.Option("--month", "-m", help="The month, as YYYY-MM (e.g. 2026-11).")]
Out = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write the CSV to this file (default: stdout).")
]


@contextmanager
def _session(ctx: typer.Context, *, write: bool = False) -> Iterator[Session]:
    """One transaction on the command's engine."""
    with (write_session if write else session_scope)(ctx.obj.engine()) as session:
        yield session


def _write(text: str, path: Path | None, what: str) -> None:
    if path is None:
        out.print(text, end="", markup=False, highlight=False, soft_wrap=True)
        return
    write_private(path, text)
    err.print(f"{what} written to {path}.", highlight=False)


def _instant(text: str, timezone: str, fold: Fold | None) -> datetime:
    """`2026-12-01T18:00` as a wall-clock time of `timezone` (a site's), or with an offset, as
    an instant (a time the clocks skip is refused, one they repeat needs `fold`)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(
            "{text!r} is not a date and time: write it as 2026-12-01T18:00.",
            text=text,
            error_code="instant",
        ) from None
    return local_instant(moment, timezone, fold)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}" if moment else ""


@app.command("reconcile")
def reconcile_command(
    ctx: typer.Context,
    month: Month,
    site: Annotated[str | None, typer.Option(help="Only this site (its code).")] = None,
    out_file: Out = None,
) -> None:
    """Booked, used, charged, per booking of a month, and the gaps between them.

    Busy is the time the machine worked, idle the rest of its sessions; gaps are
    `used_without_booking`, `booked_unused`, `used_beyond_booking`. CSV on stdout or `--out`.
    """
    from fabdesk.accounting.months import parse_month
    from fabdesk.accounting.reconcile import Gap, reconcile, reconciliation_csv

    with _session(ctx) as session:
        report = reconcile(
            session, parse_month(month), now=utc_now(), zone=ctx.obj.zone(), site_code=site
        )
    _write(reconciliation_csv(report), out_file, "Reconciliation")
    counts = ", ".join(f"{gap.value}: {len(report.gaps(gap))}" for gap in Gap)
    err.print(f"{len(report.rows)} lines; {counts}.", highlight=False)


@ledger_app.command("export")
def ledger_export(ctx: typer.Context, month: Month, out_file: Out = None) -> None:
    """The ledger of a month as CSV for the accountant: one line per posting, with VAT.

    Columns: date, booked_month, transaction_id, transaction_kind, account_code, account_name,
    debit, credit (euros), vat, vat_rate, reference, memo.
    """
    from fabdesk.accounting.export import export_csv
    from fabdesk.accounting.months import parse_month

    settings = ctx.obj.settings()
    with _session(ctx) as session:
        text = export_csv(session, parse_month(month), vat_rate=settings.accounting.vat_rate)
    _write(text, out_file, "Ledger export")


MakerOption = Annotated[str, typer.Option("--maker", help="The maker's member number.")]


@trainings_app.command("trainer")
def trainings_trainer(
    ctx: typer.Context,
    maker: MakerOption,
    category: Annotated[str, typer.Option(help="Equipment category code, e.g. laser.")],
    instructor: Annotated[
        bool, typer.Option("--instructor", help="An instructor rather than a trainer.")
    ] = False,
) -> None:
    """Let a maker give the training of a category (and grant its certification)."""
    from fabdesk.models import TrainerRole, id_of
    from inventory.makers import get_maker
    from inventory.trainings import grant_trainer

    role = TrainerRole.INSTRUCTOR if instructor else TrainerRole.TRAINER
    with _session(ctx) as session:
        found = get_maker(session, maker)
        grant_trainer(session, maker_id=id_of(found), category_code=category, role=role)
    out.print(f"{maker} is now a {role.value} for {category}.", highlight=False)


@trainings_app.command("add")
def trainings_add(
    ctx: typer.Context,
    category: Annotated[str, typer.Option(help="Equipment category code, e.g. laser.")],
    site: Annotated[str, typer.Option(help="Site code, e.g. cityfab1.")],
    trainer: Annotated[str, typer.Option(help="The trainer's member number.")],
    starts: Annotated[str, typer.Option(help="Start, local time of the site: 2026-12-01T18:00.")],
    ends: Annotated[str, typer.Option(help="End, local time of the site: 2026-12-01T20:00.")],
    minimum: Annotated[int, typer.Option("--min", help="Fewest participants.")] = 1,
    maximum: Annotated[int, typer.Option("--max", help="Most participants.")] = 8,
    fold: FoldOption = None,
) -> None:
    """Plan a training session, given by a trainer of its category. Its times are read in the
    site's timezone."""
    from fabdesk.models import id_of
    from inventory.lookups import get_site
    from inventory.makers import get_maker
    from inventory.trainings import schedule_training

    with _session(ctx) as session:
        timezone = get_site(session, site).timezone
        training = schedule_training(
            session,
            category_code=category,
            site_code=site,
            trainer_id=id_of(get_maker(session, trainer)),
            starts_at=_instant(starts, timezone, fold),
            ends_at=_instant(ends, timezone, fold),
            min_participants=minimum,
            max_participants=maximum,
            now=utc_now(),
        )
        number = id_of(training)
    out.print(f"Training {number} planned.", highlight=False)


@trainings_app.command("enrol")
def trainings_enrol(
    ctx: typer.Context,
    training: Annotated[int, typer.Argument(help="The training's number.")],
    maker: MakerOption,
) -> None:
    """Enrol a maker in a training."""
    from fabdesk.models import id_of
    from inventory.makers import get_maker
    from inventory.trainings import enrol

    with _session(ctx, write=True) as session:
        enrol(
            session,
            training_id=training,
            maker_id=id_of(get_maker(session, maker)),
            now=utc_now(),
        )
    out.print(f"{maker} is enrolled in training {training}.", highlight=False)


@trainings_app.command("pass")
def trainings_pass(
    ctx: typer.Context,
    training: Annotated[int, typer.Argument(help="The training's number.")],
    trainer: Annotated[str, typer.Option(help="Your member number (a trainer of the category).")],
    maker: Annotated[
        list[str], typer.Option("--maker", help="Member number of a maker who passed (repeat).")
    ],
    expires: Annotated[
        str | None, typer.Option(help="Last day the certification is valid (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Record who passed a training: each gets the category's certification."""
    from fabdesk.models import id_of
    from inventory.makers import get_maker
    from inventory.trainings import record_passed

    now = utc_now()
    with _session(ctx) as session:
        granted = record_passed(
            session,
            training_id=training,
            trainer_id=id_of(get_maker(session, trainer)),
            maker_ids=[id_of(get_maker(session, number)) for number in maker],
            now=now,
            granted_on=now.date(),
            expires_on=date.fromisoformat(expires) if expires else None,
        )
    out.print(f"{counted(len(granted), 'certification')} granted.", highlight=False)


@trainings_app.command("list")
def trainings_list(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site (its code).")] = None,
    past: Annotated[bool, typer.Option("--past", help="Include trainings that are over.")] = False,
) -> None:
    """List the trainings to come (or all of them with --past), in their site's local time."""
    from inventory.lookups import get_site
    from inventory.trainings import list_trainings

    with _session(ctx) as session:
        rows = list_trainings(session, since=None if past else utc_now(), site_code=site)
        codes = {code for _, _, code, _ in rows}
        zones = {code: ZoneInfo(get_site(session, code).timezone) for code in codes}
    table = Table("#", "category", "site", "starts", "ends", "enrolled", "min-max", "state")
    for training, category, site_code, enrolled in rows:
        table.add_row(
            str(training.id),
            category,
            site_code,
            _local(training.starts_at, zones[site_code]),
            _local(training.ends_at, zones[site_code]),
            str(enrolled),
            f"{training.min_participants}-{training.max_participants}",
            training.state.value,
        )
    out.print(table)


@disputes_app.command("list")
def disputes_list(
    ctx: typer.Context,
    acting: ActingManager = None,
    every: Annotated[bool, typer.Option("--all", help="Decided disputes too.")] = False,
) -> None:
    """List the open disputes of your site (every site's for a network admin), or all of them."""
    from fabdesk.accounting.disputes import list_disputes
    from fabdesk.models import DisputeState

    with _session(ctx) as session:
        actor = ctx.obj.actor(session, acting)
        rows = list_disputes(session, actor, state=None if every else DisputeState.OPEN)
    table = Table("#", "charge", "maker", "opened", "reason", "state", "decision")
    for dispute in rows:
        table.add_row(
            str(dispute.id),
            str(dispute.usage_charge_id),
            str(dispute.maker_id),
            _local(dispute.opened_at, ctx.obj.zone()),
            dispute.reason,
            dispute.state.value,
            dispute.decision_reason,
        )
    out.print(table)


@disputes_app.command("accept")
def disputes_accept(
    ctx: typer.Context,
    dispute: Annotated[int, typer.Argument(help="The dispute's number.")],
    acting: ActingManager = None,
    note: Annotated[str, typer.Option(help="A word for the maker.")] = "",
) -> None:
    """Accept a dispute of your site (not your own): the charge is reversed in the ledger and
    the maker told."""
    from fabdesk.accounting.disputes import accept_dispute

    with _session(ctx) as session:
        actor = ctx.obj.actor(session, acting)
        accept_dispute(
            session, dispute_id=dispute, actor=actor, now=utc_now(), zone=ctx.obj.zone(), note=note
        )
    out.print(f"Dispute {dispute} accepted: the charge is reversed.", highlight=False)


@disputes_app.command("refuse")
def disputes_refuse(
    ctx: typer.Context,
    dispute: Annotated[int, typer.Argument(help="The dispute's number.")],
    reason: Annotated[str, typer.Option(help="Why (the maker is told).")],
    acting: ActingManager = None,
) -> None:
    """Refuse a dispute of your site (not your own), with a reason the maker is told."""
    from fabdesk.accounting.disputes import refuse_dispute

    with _session(ctx) as session:
        actor = ctx.obj.actor(session, acting)
        refuse_dispute(session, dispute_id=dispute, actor=actor, reason=reason, now=utc_now())
    out.print(f"Dispute {dispute} refused.", highlight=False)


@problems_app.command("list")
def problems_list(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Only this site (its code).")] = None,
    every: Annotated[bool, typer.Option("--all", help="Resolved problems too.")] = False,
) -> None:
    """List the open problem reports, newest first."""
    from scheduling.problems import list_problems

    with _session(ctx) as session:
        rows = list_problems(session, open_only=not every, site_code=site)
    table = Table("#", "machine", "reported", "serious", "text", "resolved")
    for report, tag in rows:
        table.add_row(
            str(report.id),
            tag,
            _local(report.reported_at, ctx.obj.zone()),
            "yes" if report.serious else "",
            report.text,
            report.resolution or _local(report.resolved_at, ctx.obj.zone()),
        )
    out.print(table)


@problems_app.command("resolve")
def problems_resolve(
    ctx: typer.Context,
    problem: Annotated[int, typer.Argument(help="The problem report's number.")],
    acting: ActingManager = None,
    resolution: Annotated[str, typer.Option(help="What was done.")] = "",
) -> None:
    """Mark a problem report of your site resolved (the machine's status is changed apart)."""
    from scheduling.problems import resolve_problem

    with _session(ctx) as session:
        actor = ctx.obj.actor(session, acting)
        resolve_problem(
            session, problem_id=problem, resolution=resolution, actor=actor, now=utc_now()
        )
    out.print(f"Problem {problem} resolved.", highlight=False)


# -- trainings that lapse when unused, machines checked after use, hand-overs ------------------


@trainings_app.command("lapse")
def trainings_lapse(
    ctx: typer.Context,
    category: Annotated[str, typer.Argument(help="Equipment category code, e.g. laser.")],
    days: Annotated[
        int, typer.Option(help="Days without use after which a certification lapses (0: never).")
    ],
) -> None:
    """Make a category's certifications lapse after so many days without using its machines.

    A certification is then valid on a day only if the maker used a machine of the category (or
    was certified) within that many days before; bookings are refused with `training_lapsed`.
    """
    from inventory.trainings import set_lapse

    with _session(ctx) as session:
        set_lapse(session, category_code=category, days=days or None)
    text = (
        f"{category} lapses after {days} days without use." if days else f"{category} never lapses."
    )
    out.print(text, highlight=False)


@trainings_app.command("lapsing")
def trainings_lapsing(
    ctx: typer.Context,
    within: Annotated[int, typer.Option(help="Lapsing within so many days from today.")] = 7,
) -> None:
    """Who is about to lose a certification for want of use (still valid today)."""
    from scheduling.lapses import lapsing

    zone = ctx.obj.settings().scheduler.timezone
    with _session(ctx) as session:
        rows = lapsing(session, today=utc_now().date(), within_days=within, timezone=zone)
    table = Table("maker", "category", "last used or certified", "lapses on")
    for row in rows:
        table.add_row(
            row.member_number,
            row.category_code,
            row.last_active.isoformat(),
            row.lapses_on.isoformat(),
        )
    out.print(table)


@equipment_app.command("check-after-use")
def equipment_check_after_use(
    ctx: typer.Context,
    tag: Annotated[str, typer.Argument(help="The machine's asset tag.")],
    off: Annotated[bool, typer.Option("--off", help="No check needed any more.")] = False,
    acting: ActingManager = None,
) -> None:
    """Make a machine need a check after each use: it goes to `to_check` when a usage session on
    it ends or its booking completes, until `fabdesk equipment release` puts it back."""
    from inventory.checks import set_check_after_use

    with _session(ctx) as session:
        set_check_after_use(
            session, tag, not off, actor=ctx.obj.actor(session, acting), now=utc_now()
        )
    out.print(f"{tag}: {'no check' if off else 'a check'} after each use.", highlight=False)


@equipment_app.command("release")
def equipment_release(
    ctx: typer.Context,
    tag: Annotated[str, typer.Argument(help="The machine's asset tag.")],
    acting: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="MEMBER",
            help="Who checked it: your member number, a manager of its site or a trainer of "
            "it (default: cli.manager in the settings). Kept, by id, in its history.",
        ),
    ] = None,
    note: Annotated[str, typer.Option(help="What the check found (kept in its history).")] = "",
) -> None:
    """Release a machine checked after its use: it is back in service."""
    from fabdesk.models import id_of
    from inventory.checks import release_check
    from inventory.makers import get_maker

    with _session(ctx) as session:
        release_check(
            session,
            tag,
            by_maker_id=id_of(get_maker(session, ctx.obj.member(acting))),
            now=utc_now(),
            note=note,
        )
    out.print(f"{tag} is checked and back in service.", highlight=False)


@bookings_app.command("hand-over")
def bookings_hand_over(
    ctx: typer.Context,
    booking: Annotated[int, typer.Argument(help="The running booking's number.")],
    giver: Annotated[str, typer.Option("--from", help="Member number of its maker.")],
    receiver: Annotated[str, typer.Option("--to", help="Member number of who takes over.")],
) -> None:
    """Hand the rest of a running booking over to another certified maker (as at the kiosk):
    the first part is completed, the rest is a new checked-in booking of the receiver, who is
    charged for the jobs started from now on."""
    from fabdesk.models import id_of
    from inventory.makers import get_maker
    from scheduling.bookings import hand_over

    with _session(ctx, write=True) as session:
        taken = hand_over(
            session,
            booking_id=booking,
            from_maker_id=id_of(get_maker(session, giver)),
            to_maker_id=id_of(get_maker(session, receiver)),
            now=utc_now(),
            settings=ctx.obj.settings().scheduler,
        )
        number = id_of(taken)
    out.print(f"Booking {booking} handed over to {receiver}: booking {number}.", highlight=False)
