"""Accounting commands: charge, close, ledger check, cheques, statements and reports.

Each command parses, calls one service of fabdesk.accounting in one transaction, and renders.
The clock is read here, at the edge, and handed to the services.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from fabdesk.cli._app import ActingManager, app, out, utc_now
from fabdesk.cli._documents import (
    CsvOption,
    LanguageOption,
    MonthOption,
    PdfOption,
    document_language,
    save_document,
)
from fabdesk.db import session_scope, write_session
from fabdesk.errors import InvalidValue, LedgerImbalance
from fabdesk.i18n import counted
from fabdesk.money import parse_euros

if TYPE_CHECKING:
    from sqlmodel import Session

charge_app = typer.Typer(help="Price and post finished usage sessions.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
cheques_app = typer.Typer(
    help="Maker cheques: programmes, issuing, expiry. Only makers without an enterprise number "
    "may receive them.",
    no_args_is_help=True,
)
programme_app = typer.Typer(help="Cheque programmes and their funders.", no_args_is_help=True)
app.add_typer(charge_app, name="charge")
app.add_typer(ledger_app, name="ledger")
app.add_typer(cheques_app, name="cheques")
cheques_app.add_typer(programme_app, name="programme")


DateOption = Annotated[
    datetime | None,
    typer.Option(
        "--date",
        formats=["%Y-%m-%d"],
        help="Act as at the end of this day (YYYY-MM-DD), e.g. to catch up after a holiday; "
        "default: now. A future day, or a day of a closed month, is refused.",
    ),
]


def _as_of(session: Session, day: datetime | None, zone: ZoneInfo) -> datetime:
    """The instant a command acts at: now, or the end of the `--date` day in the ledger's
    `zone` (checked)."""
    from fabdesk.accounting.dating import as_of

    now = utc_now()
    return now if day is None else as_of(session, day.date(), now=now, zone=zone)


@charge_app.command("pending")
def charge_pending(ctx: typer.Context, date: DateOption = None) -> None:
    """Price and post every finished usage session not charged yet (safe to run again).

    With --date 2026-11-30, only sessions ended by the end of that day are charged, booked as
    of that day. Missed bookings (no-shows) are charged too where the category's charge policy
    says so (settings: accounting.charge_policies).
    """
    from fabdesk.accounting.charges import post_pending_charges
    from fabdesk.accounting.missed import post_missed_bookings
    from fabdesk.accounting.pricing import PriceRules

    rules = PriceRules.from_settings(
        ctx.obj.settings().accounting, ctx.obj.settings().scheduler.timezone
    )
    with write_session(ctx.obj.engine()) as session:
        now = _as_of(session, date, ctx.obj.zone())
        count = post_pending_charges(session, now=now, rules=rules)
        missed = post_missed_bookings(session, now=now, rules=rules)
    out.print(f"Charged {counted(count, 'usage session')}.")
    if missed:
        out.print(f"Charged {counted(missed, 'missed booking')}.")


@app.command("close")
def close(
    ctx: typer.Context,
    month: Annotated[str, typer.Argument(help="The month to close, as YYYY-MM (e.g. 2026-11).")],
    date: DateOption = None,
    assign: Annotated[
        list[str] | None,
        typer.Option(
            "--assign",
            metavar="SESSION=maker:MEMBER|organisation:CODE|lab:SITE",
            help="Assign a session of the month that waits for a manager, before closing "
            "(repeatable; see `fabdesk usage unattributed`). Needs --as (or cli.manager).",
        ),
    ] = None,
    as_: ActingManager = None,
) -> None:
    """Close a month of the ledger: charge its last sessions, freeze its balances and usage.

    A closed month never changes: sessions that arrive late are booked in the open month with
    their real date. Closing a closed month changes nothing. Months close in order.
    --date 2026-12-01 records the close as done at the end of that day (after the month). A
    month whose usage sessions wait for a manager (nobody to charge) is refused with their list:
    assign them here with `--assign 42=maker:M-00017 --as M-00001`, or with `fabdesk usage
    assign`, and close again.
    """
    from fabdesk.accounting.close import close_period
    from fabdesk.accounting.pricing import PriceRules
    from fabdesk.cli.usage import parse_assignment
    from fabdesk.usage.unattributed import assign_session, resolve_assignee

    rules = PriceRules.from_settings(
        ctx.obj.settings().accounting, ctx.obj.settings().scheduler.timezone
    )
    assignments = [parse_assignment(text) for text in assign or []]
    with write_session(ctx.obj.engine()) as session:
        as_of = _as_of(session, date, ctx.obj.zone())
        for session_id, target in assignments:
            assign_session(
                session,
                session_id,
                resolve_assignee(session, **target),
                actor=ctx.obj.actor(session, as_),
                now=as_of,
                rules=rules,
            )
        period = close_period(session, month, now=as_of, rules=rules)
    out.print(
        f"Month {period.month} closed at {period.closed_at:%Y-%m-%d %H:%M} UTC: "
        f"{period.transaction_count} transactions, {period.posting_count} postings."
    )


@ledger_app.command("check")
def ledger_check(ctx: typer.Context) -> None:
    """Prove the whole ledger: every transaction balances, no cheque is below zero, every closed
    month is exactly as it was closed. Exits with code 10 when anything is wrong."""
    from fabdesk.accounting.ledger import check_ledger

    with session_scope(ctx.obj.engine()) as session:
        report = check_ledger(session)
    table = Table("check", "result", title="Ledger check")
    table.add_row("transactions", str(report.transactions))
    table.add_row("postings", str(report.postings))
    table.add_row("sum of all postings (cents)", str(report.total_cents))
    table.add_row(
        "unbalanced transactions", ", ".join(map(str, report.unbalanced_transactions)) or "none"
    )
    table.add_row("cheques below zero", ", ".join(map(str, report.negative_cheques)) or "none")
    table.add_row("closed months changed", ", ".join(report.changed_periods) or "none")
    table.add_row("postings outside their month", str(report.misfiled_postings))
    out.print(table)
    if not report.ok:
        raise LedgerImbalance("The ledger check failed: see the table above.")
    out.print("The ledger balances.")


@ledger_app.command("pay")
def ledger_pay(
    ctx: typer.Context,
    member: Annotated[str, typer.Argument(help="Member number of the maker who paid.")],
    amount: Annotated[str, typer.Argument(help="Amount paid in euros, e.g. 18.50.")],
    reference: Annotated[
        str, typer.Option(help="The payment's own reference (bank or till): recorded once.")
    ],
) -> None:
    """Record a maker's payment (bank transfer, card at the desk). Safe to run again."""
    from fabdesk.accounting.charges import maker_balance, record_payment
    from fabdesk.money import format_cents
    from inventory.makers import get_maker

    with write_session(ctx.obj.engine()) as session:
        maker = get_maker(session, member)
        assert maker.id is not None
        posted = record_payment(
            session,
            maker_id=maker.id,
            cents=parse_euros(amount),
            reference=reference,
            now=utc_now(),
            zone=ctx.obj.zone(),
        )
        owed = maker_balance(session, maker.id).owed_cents
    done = "Recorded" if posted else "Already recorded"
    out.print(f"{done}: payment {reference}. {member} now owes {format_cents(owed)}.")


@programme_app.command("add")
def programme_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Short code, e.g. region-2027.")],
    name: Annotated[str, typer.Option(help="Name printed on cheques and reports.")],
    funder: Annotated[str, typer.Option(help="Code of the funding investor, e.g. region.")],
    face_value: Annotated[str, typer.Option(help="Value of one cheque in euros, e.g. 100.00.")],
    copay: Annotated[
        str, typer.Option(help="Share the maker still pays, in percent, e.g. 20.")
    ] = "20",
    valid_from: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First day of the programme.")
    ] = datetime(2026, 1, 1),
    valid_until: Annotated[
        datetime, typer.Option("--until", formats=["%Y-%m-%d"], help="Last day of the programme.")
    ] = datetime(2026, 12, 31),
    sector: Annotated[
        list[str] | None,
        typer.Option(
            help="Eligible sector (repeat): construction, manufacturing, agrifood, "
            "health, creative. None: all."
        ),
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(help="Eligible machine category code (repeat), e.g. laser. None: all."),
    ] = None,
    validity_days: Annotated[int, typer.Option(help="Days a cheque stays valid.")] = 365,
    cap: Annotated[
        str, typer.Option(help="Most face value per maker and year, in euros (0: one cheque).")
    ] = "0",
) -> None:
    """Create a cheque programme."""
    from fabdesk.accounting.cheques import add_programme

    copay_points = parse_euros(copay)  # percent with two decimals = basis points
    with session_scope(ctx.obj.engine()) as session:
        programme = add_programme(
            session,
            code=code,
            name=name,
            funder_code=funder,
            face_value_cents=parse_euros(face_value),
            copay_basis_points=copay_points,
            valid_from=valid_from.date(),
            valid_until=valid_until.date(),
            sectors=sector or [],
            category_codes=category or [],
            cheque_validity_days=validity_days,
            cap_cents_per_maker_year=parse_euros(cap),
        )
    out.print(f"Programme {programme.code} created.")


@programme_app.command("list")
def programme_list(ctx: typer.Context) -> None:
    """List the cheque programmes."""
    from fabdesk.accounting.cheques import list_programmes
    from fabdesk.money import format_cents

    table = Table(
        "code",
        "name",
        "face value",
        "co-pay",
        "from",
        "until",
        "sectors",
        "categories",
        title="Cheque programmes",
    )
    with session_scope(ctx.obj.engine()) as session:
        for p in list_programmes(session):
            table.add_row(
                p.code,
                p.name,
                format_cents(p.face_value_cents),
                f"{p.copay_basis_points / 100:g} %",
                p.valid_from.isoformat(),
                p.valid_until.isoformat(),
                p.sectors or "all",
                p.category_codes or "all",
            )
    out.print(table)


@cheques_app.command("issue")
def cheques_issue(
    ctx: typer.Context,
    programme: Annotated[str, typer.Option(help="Programme code.")],
    member: Annotated[str, typer.Option(help="Member number of the maker.")],
    qr: Annotated[
        Path | None,
        typer.Option(help="Write the cheque's QR code to this PNG file.", dir_okay=False),
    ] = None,
) -> None:
    """Issue a cheque of a programme to a maker, and print its code (optionally as a QR PNG)."""
    from fabdesk.accounting.cheques import cheque_qr_png, issue_cheque
    from fabdesk.accounting.months import local_day
    from fabdesk.money import format_cents
    from inventory.makers import get_maker

    now = utc_now()
    with write_session(ctx.obj.engine()) as session:
        maker = get_maker(session, member)
        assert maker.id is not None
        zone = ctx.obj.zone()
        cheque = issue_cheque(
            session,
            programme_code=programme,
            maker_id=maker.id,
            today=local_day(now, zone),
            now=now,
            zone=zone,
        )
    if qr is not None:
        qr.write_bytes(cheque_qr_png(cheque.code))
    out.print(
        f"Cheque {cheque.code}: {format_cents(cheque.face_value_cents)} for {member}, "
        f"valid until {cheque.expires_on.isoformat()}."
    )


@cheques_app.command("expire")
def cheques_expire(ctx: typer.Context, date: DateOption = None) -> None:
    """Return what is left on expired cheques to their programmes (the scheduler does it daily).

    With --date, cheques that expired before that day are expired, as of that day.
    """
    from fabdesk.accounting.cheques import expire_cheques
    from fabdesk.accounting.months import local_day

    with write_session(ctx.obj.engine()) as session:
        now = _as_of(session, date, ctx.obj.zone())
        count = expire_cheques(
            session, local_day(now, ctx.obj.zone()), zone=ctx.obj.zone(), now=now
        )
    out.print(f"{counted(count, 'cheque')} expired.")


@app.command("statement")
def statement(
    ctx: typer.Context,
    member: Annotated[str, typer.Argument(help="Member number of the maker.")],
    month: MonthOption,
    csv: CsvOption = None,
    pdf: PdfOption = None,
    language: LanguageOption = None,
) -> None:
    """A maker's monthly statement: sessions, VAT, what cheques paid, what is owed (the PDF in
    the maker's language's forms: `fabdesk statement M00042 --month 2026-11 --pdf nov.pdf`)."""
    from fabdesk.accounting._documents import DATA, local_forms
    from fabdesk.accounting.statements import maker_statement, statement_document

    with session_scope(ctx.obj.engine()) as session:
        found = maker_statement(
            session, member, month, vat_rate=ctx.obj.settings().accounting.vat_rate
        )
    forms = local_forms(document_language(ctx, language, found.language))
    save_document(statement_document(found, DATA), csv, pdf, local=statement_document(found, forms))


class ReportKind(StrEnum):
    COINVESTORS = "coinvestors"
    PROGRAMME = "programme"
    SECTORS = "sectors"
    COSTS = "costs"
    INDICATORS = "indicators"


@app.command("report")
def report(
    ctx: typer.Context,
    kind: Annotated[
        ReportKind,
        typer.Argument(
            help="coinvestors: revenue shares and usage rights; programme: cheque spending per "
            "funder; sectors: usage by the five sectors per site; costs: cost price per machine "
            "(for the month's year); indicators: the Industrial Plan's indicators (hours and "
            "revenue by sector, site, category and month; cheques by programme and sector; "
            "co-investors' revenue and hours) for a month, quarter or year (--period)."
        ),
    ],
    month: Annotated[
        str | None,
        typer.Option("--month", help="The month, as YYYY-MM (every report but indicators)."),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="indicators only: a month (2026-11), a quarter (2026-Q4) or a year (2026); "
            "--month works too."
        ),
    ] = None,
    programme: Annotated[
        str | None, typer.Option(help="Only this cheque programme (programme report).")
    ] = None,
    csv: CsvOption = None,
    pdf: PdfOption = None,
    language: LanguageOption = None,
) -> None:
    """Reports for co-investors, cheque funders and the Region, as a table, CSV or PDF.

    Examples: `fabdesk report sectors --month 2026-11`,
    `fabdesk report indicators --period 2026-Q4 --csv q4.csv --pdf q4.pdf`.
    """
    from fabdesk.accounting import reports
    from fabdesk.accounting.indicators import indicators_report
    from fabdesk.accounting.months import parse_month

    if kind is ReportKind.INDICATORS:
        if (period or month) is None:
            raise InvalidValue("Give the --period (2026-11, 2026-Q4 or 2026).", error_code="period")
        from fabdesk.accounting._documents import DATA, local_forms

        forms = local_forms(document_language(ctx, language))
        with session_scope(ctx.obj.engine()) as session:
            asked = period or month or ""
            save_document(
                indicators_report(session, asked, DATA),
                csv,
                pdf,
                local=indicators_report(session, asked, forms),
            )
        return
    if month is None:
        raise InvalidValue("Give the --month, as YYYY-MM (e.g. 2026-11).", error_code="month")
    month = parse_month(month)
    with session_scope(ctx.obj.engine()) as session:
        if kind is ReportKind.COINVESTORS:
            document = reports.coinvestor_report(session, month)
        elif kind is ReportKind.PROGRAMME:
            document = reports.programme_report(session, month, programme)
        elif kind is ReportKind.SECTORS:
            document = reports.sector_report(session, month, zone=ctx.obj.zone())
        else:
            document = reports.cost_report(session, int(month[:4]), zone=ctx.obj.zone())
    save_document(document, csv, pdf)
