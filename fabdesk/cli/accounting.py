"""Accounting commands: charge, close, ledger check, cheques, statements and reports.

Each command parses, calls one service of fabdesk.accounting in one transaction, and renders.
The clock is read here, at the edge, and handed to the services.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import ActingManager, app, out
from fabdesk.db import session_scope, write_session
from fabdesk.errors import InvalidValue, LedgerImbalance

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


def _now() -> datetime:
    return datetime.now(UTC)


def _cents(text: str) -> int:
    """`100`, `100.00` or `12,50` euros as cents."""
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InvalidValue(
            "{text!r} is not an amount in euros, e.g. 100.00.", text=text, error_code="amount"
        ) from None
    cents = value * 100
    if cents != cents.to_integral_value():
        raise InvalidValue("{text!r} has more than two decimals.", text=text, error_code="amount")
    return int(cents)


DateOption = Annotated[
    datetime | None,
    typer.Option(
        "--date",
        formats=["%Y-%m-%d"],
        help="Act as at the end of this day (YYYY-MM-DD), e.g. to catch up after a holiday; "
        "default: now. A future day, or a day of a closed month, is refused.",
    ),
]


def _as_of(session: Session, day: datetime | None) -> datetime:
    """The instant a command acts at: now, or the end of the `--date` day (checked)."""
    from fabdesk.accounting.dating import as_of

    now = _now()
    return now if day is None else as_of(session, day.date(), now=now)


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

    rules = PriceRules.from_settings(ctx.obj.settings().accounting)
    with write_session(ctx.obj.engine()) as session:
        now = _as_of(session, date)
        count = post_pending_charges(session, now=now, rules=rules)
        missed = post_missed_bookings(session, now=now, rules=rules)
    out.print(f"Charged {count} usage session(s).")
    if missed:
        out.print(f"Charged {missed} missed booking(s).")


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

    rules = PriceRules.from_settings(ctx.obj.settings().accounting)
    assignments = [parse_assignment(text) for text in assign or []]
    with write_session(ctx.obj.engine()) as session:
        as_of = _as_of(session, date)
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
            session, maker_id=maker.id, cents=_cents(amount), reference=reference, now=_now()
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

    copay_points = _cents(copay)  # percent with two decimals = basis points
    with session_scope(ctx.obj.engine()) as session:
        programme = add_programme(
            session,
            code=code,
            name=name,
            funder_code=funder,
            face_value_cents=_cents(face_value),
            copay_basis_points=copay_points,
            valid_from=valid_from.date(),
            valid_until=valid_until.date(),
            sectors=sector or [],
            category_codes=category or [],
            cheque_validity_days=validity_days,
            cap_cents_per_maker_year=_cents(cap),
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
    from fabdesk.accounting.ledger import local_day
    from fabdesk.money import format_cents
    from inventory.makers import get_maker

    now = _now()
    with write_session(ctx.obj.engine()) as session:
        maker = get_maker(session, member)
        assert maker.id is not None
        cheque = issue_cheque(
            session, programme_code=programme, maker_id=maker.id, today=local_day(now), now=now
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
    from fabdesk.accounting.ledger import local_day

    with write_session(ctx.obj.engine()) as session:
        now = _as_of(session, date)
        count = expire_cheques(session, local_day(now), now=now)
    out.print(f"{count} cheque(s) expired.")


def _save(
    document: object,
    csv_path: Path | None,
    pdf_path: Path | None,
    *,
    local: object = None,
) -> None:
    """Write `document` as CSV (its amounts and days as data) and PDF (`local`: the same
    document said in its reader's language, when the document has such forms), or show it."""
    from fabdesk.accounting._documents import Document, to_csv, to_pdf

    assert isinstance(document, Document)
    if csv_path is not None:
        csv_path.write_text(to_csv(document), encoding="utf-8")
        out.print(f"CSV written to {csv_path}")
    if pdf_path is not None:
        printed = local if local is not None else document
        assert isinstance(printed, Document)
        pdf_path.write_bytes(to_pdf(printed))
        out.print(f"PDF written to {pdf_path}")
    if csv_path is None and pdf_path is None:
        table = Table(*document.header, title=document.title)
        for row in document.rows:
            table.add_row(*row)
        out.print(table)
        for note in document.notes:
            out.print(note)


MonthOption = Annotated[str, typer.Option("--month", help="The month, as YYYY-MM.")]
CsvOption = Annotated[Path | None, typer.Option("--csv", help="Write a CSV file.", dir_okay=False)]
PdfOption = Annotated[
    Path | None, typer.Option("--pdf", help="Write a PDF file (with a chart).", dir_okay=False)
]
LanguageOption = Annotated[
    str | None,
    typer.Option(
        "--language",
        help="fr, nl or en: the language of the PDF's amounts and days (46,00 / 24 nov. 2026). "
        "Default: the maker's own language, else the desk's (settings: desk.language).",
    ),
]


def _language(ctx: typer.Context, chosen: str | None, own: str | None = None) -> str:
    from fabdesk.i18n import LANGUAGES

    language = chosen or own or str(ctx.obj.settings().desk.language)
    if language not in LANGUAGES:
        raise InvalidValue(
            "Choose fr, nl or en (got {language!r}).", language=language, error_code="language"
        )
    return language


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
    forms = local_forms(_language(ctx, language, found.language))
    _save(statement_document(found, DATA), csv, pdf, local=statement_document(found, forms))


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
    from fabdesk.accounting.ledger import parse_month

    if kind is ReportKind.INDICATORS:
        if (period or month) is None:
            raise InvalidValue("Give the --period (2026-11, 2026-Q4 or 2026).", error_code="period")
        from fabdesk.accounting._documents import DATA, local_forms

        forms = local_forms(_language(ctx, language))
        with session_scope(ctx.obj.engine()) as session:
            asked = period or month or ""
            _save(
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
            document = reports.sector_report(session, month)
        else:
            document = reports.cost_report(session, int(month[:4]))
    _save(document, csv, pdf)


material_app = typer.Typer(
    help="Sheet materials sold at the desk (MDF, plexiglass…): each site's catalogue, and sales "
    "billed to a maker or paid at the till.",
    no_args_is_help=True,
)
app.add_typer(material_app, name="material")
SiteOption = Annotated[str, typer.Option("--site", help="Code of the site, e.g. cityfab1.")]


@material_app.command("add")
def material_add(
    ctx: typer.Context,
    site: SiteOption,
    code: Annotated[str, typer.Argument(help="Short code typed at the desk, e.g. MDF3-600.")],
    name: Annotated[str, typer.Option(help="Name shown on statements, e.g. 'MDF 3 mm 600x400'.")],
    price: Annotated[str, typer.Option(help="Price of one unit in euros, VAT included.")],
    cost: Annotated[str, typer.Option(help="What one unit cost the lab, in euros.")],
) -> None:
    """Put a sheet material in a site's catalogue."""
    from fabdesk.accounting.materials import add_material
    from fabdesk.models import id_of
    from inventory.register import get_site

    with session_scope(ctx.obj.engine()) as session:
        material = add_material(
            session,
            site_id=id_of(get_site(session, site)),
            code=code,
            name=name,
            unit_price_cents=_cents(price),
            unit_cost_cents=_cents(cost),
        )
    out.print(f"Material {material.code} added to {site}.")


@material_app.command("list")
def material_list(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option("--site", help="Only this site.")] = None,
) -> None:
    """List the sheet materials for sale, with price (VAT included) and cost."""
    from fabdesk.accounting.materials import list_materials
    from fabdesk.models import Site
    from fabdesk.money import format_cents
    from inventory.register import get_site

    table = Table("site", "code", "name", "price", "cost", title="Sheet materials")
    with session_scope(ctx.obj.engine()) as session:
        site_id = get_site(session, site).id if site else None
        for material in list_materials(session, site_id):
            found = session.get(Site, material.site_id)
            table.add_row(
                found.code if found else "?",
                material.code,
                material.name,
                format_cents(material.unit_price_cents),
                format_cents(material.unit_cost_cents),
            )
    out.print(table)


@material_app.command("sell")
def material_sell(
    ctx: typer.Context,
    site: SiteOption,
    item: Annotated[str, typer.Option("--item", help="Code of the material.")],
    qty: Annotated[int, typer.Option("--qty", help="Units sold.")],
    maker: Annotated[
        str | None,
        typer.Option("--maker", help="Badge or member number of the maker billed."),
    ] = None,
    cash: Annotated[
        bool, typer.Option("--cash", help="Paid at the till (cash or card): no maker billed.")
    ] = False,
    machine: Annotated[
        str | None,
        typer.Option(
            "--machine",
            help="Asset tag of the machine it is for: its co-investors share the margin.",
        ),
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(help="The sale's own reference (till slip): recorded once. Default: new."),
    ] = None,
    organisation: Annotated[
        str | None,
        typer.Option(
            "--organisation",
            help="Code of the organisation billed (a partner school or company); --maker then "
            "says who took the material.",
        ),
    ] = None,
) -> None:
    """Sell units of a sheet material, billed to a maker (--maker), to an organisation
    (--organisation) or paid at the till (--cash).

    Posted once to the ledger: running it again with the same --reference records nothing.
    A wrong sale is corrected with `fabdesk material reverse REFERENCE` and a new sale.
    """
    import uuid

    from fabdesk.accounting.materials import sell_material
    from fabdesk.models import id_of
    from fabdesk.money import format_cents
    from inventory.makers import find_by_badge
    from inventory.organisations import get_organisation
    from inventory.register import get_site
    from scheduling.bookings import find_machine

    if cash == (maker is not None or organisation is not None):
        raise InvalidValue("Give --maker, --organisation or --cash.", error_code="sale_payer")
    key = reference or uuid.uuid4().hex
    with write_session(ctx.obj.engine()) as session:
        buyer = find_by_badge(session, maker) if maker else None
        billed = get_organisation(session, organisation) if organisation else None
        sale = sell_material(
            session,
            site_id=id_of(get_site(session, site)),
            code=item,
            quantity=qty,
            maker_id=buyer.id if buyer else None,
            key=key,
            now=_now(),
            equipment_id=find_machine(session, machine) if machine else None,
            vat_rate=ctx.obj.settings().accounting.vat_rate,
            organisation_id=billed.id if billed else None,
        )
    if sale is None:
        out.print(f"Already recorded: sale {key}.")
        return
    who = billed.code if billed else buyer.member_number if buyer else "the till"
    out.print(
        f"Sold {qty} x {item.upper()} for {format_cents(sale.total_cents)} "
        f"(VAT {format_cents(sale.vat_cents)}) to {who}; reference {key}."
    )


@material_app.command("reverse")
def material_reverse(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(help="The reference of the sale to reverse.")],
) -> None:
    """Reverse a wrong sale (booked today, in the open month); then sell again, correctly,
    with a new reference. Safe to run again."""
    from fabdesk.accounting.materials import reverse_sale

    with write_session(ctx.obj.engine()) as session:
        reversal = reverse_sale(session, key=reference, now=_now())
    out.print(f"{'Reversed' if reversal else 'Already reversed'}: sale {reference}.")


# Machine costs and co-investors' members live in the cadastre's groups.
from fabdesk.cli.inventory import equipment_app, investors_app  # noqa: E402

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
    from scheduling.bookings import find_machine

    with session_scope(ctx.obj.engine()) as session:
        cost = set_equipment_cost(
            session,
            equipment_id=find_machine(session, asset_tag),
            year=year,
            depreciation_cents=_cents(depreciation) if depreciation is not None else None,
            maintenance_cents=_cents(maintenance),
            consumables_cents=_cents(consumables),
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
MakerArgument = Annotated[str, typer.Argument(help="Badge or member number of the maker.")]


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


organisations_app = typer.Typer(
    help="Paying organisations (partner schools, companies): their linked makers book on their "
    "behalf (fabdesk book ... --on-behalf-of CODE) and the organisation is billed, with its "
    "enterprise number on its statement.",
    no_args_is_help=True,
)
app.add_typer(organisations_app, name="organisations")
OrganisationArgument = Annotated[str, typer.Argument(help="Organisation code, e.g. ERASMUS.")]


@organisations_app.command("add")
def organisations_add(
    ctx: typer.Context,
    code: OrganisationArgument,
    name: Annotated[str, typer.Option(help="Full name, printed on its statements.")],
    enterprise_number: Annotated[
        str, typer.Option(help="Belgian enterprise number, e.g. 0123.456.749.")
    ],
    email: Annotated[str, typer.Option(help="Where its statements go.")] = "",
    address: Annotated[
        str, typer.Option(help="Postal address printed on its invoices: street, postcode town.")
    ] = "",
) -> None:
    """Register a paying organisation."""
    from inventory.organisations import add_organisation

    with session_scope(ctx.obj.engine()) as session:
        added_code = add_organisation(
            session,
            code=code,
            name=name,
            enterprise_number=enterprise_number,
            email=email,
            address=address,
        ).code
    out.print(f"Added organisation {added_code}.")


@organisations_app.command("list")
def organisations_list(ctx: typer.Context) -> None:
    """List the paying organisations and how many makers may book for each."""
    from fabdesk.identifiers import format_enterprise_number
    from inventory.organisations import list_organisations, organisation_makers

    table = Table("code", "name", "enterprise number", "makers", title="Paying organisations")
    with session_scope(ctx.obj.engine()) as session:
        for organisation in list_organisations(session):
            table.add_row(
                organisation.code,
                organisation.name,
                format_enterprise_number(organisation.enterprise_number),
                ", ".join(m.member_number for m in organisation_makers(session, organisation.code)),
            )
    out.print(table)


@organisations_app.command("link")
def organisations_link(
    ctx: typer.Context, organisation: OrganisationArgument, maker: MakerArgument
) -> None:
    """Let a maker book on behalf of an organisation (again: changes nothing)."""
    from fabdesk.models import id_of
    from inventory.makers import find_by_badge
    from inventory.organisations import link_maker

    with session_scope(ctx.obj.engine()) as session:
        found = find_by_badge(session, maker)
        link_maker(session, organisation, id_of(found))
        number = found.member_number
    out.print(f"{number} may book on behalf of {organisation.upper()}.")


@organisations_app.command("unlink")
def organisations_unlink(
    ctx: typer.Context, organisation: OrganisationArgument, maker: MakerArgument
) -> None:
    """The maker may no longer book on the organisation's behalf (past bookings stay billed)."""
    from fabdesk.models import id_of
    from inventory.makers import find_by_badge
    from inventory.organisations import unlink_maker

    with session_scope(ctx.obj.engine()) as session:
        removed = unlink_maker(session, organisation, id_of(find_by_badge(session, maker)))
    out.print("Unlinked." if removed else "Was not linked: nothing changed.")


@organisations_app.command("statement")
def organisations_statement(
    ctx: typer.Context,
    organisation: OrganisationArgument,
    month: MonthOption,
    csv: CsvOption = None,
    pdf: PdfOption = None,
    language: LanguageOption = None,
) -> None:
    """An organisation's monthly statement: the usage its makers booked on its behalf, with its
    enterprise number."""
    from fabdesk.accounting._documents import DATA, local_forms
    from fabdesk.accounting.statements import organisation_statement, statement_document

    with session_scope(ctx.obj.engine()) as session:
        found = organisation_statement(
            session, organisation, month, vat_rate=ctx.obj.settings().accounting.vat_rate
        )
    forms = local_forms(_language(ctx, language))
    _save(statement_document(found, DATA), csv, pdf, local=statement_document(found, forms))


@organisations_app.command("pay")
def organisations_pay(
    ctx: typer.Context,
    organisation: OrganisationArgument,
    amount: Annotated[str, typer.Argument(help="Amount paid in euros, e.g. 118.50.")],
    reference: Annotated[
        str, typer.Option(help="The payment's own reference (bank): recorded once.")
    ],
) -> None:
    """Record an organisation's payment (bank transfer). Safe to run again."""
    from fabdesk.accounting.charges import record_payment
    from fabdesk.accounting.ledger import balance, find_account
    from fabdesk.models import AccountKind, id_of
    from fabdesk.money import format_cents
    from inventory.organisations import get_organisation

    with write_session(ctx.obj.engine()) as session:
        found = id_of(get_organisation(session, organisation))
        posted = record_payment(
            session, organisation_id=found, cents=_cents(amount), reference=reference, now=_now()
        )
        account = find_account(session, AccountKind.ORGANISATION, found)
        owed = balance(session, account) if account is not None else 0
    done = "Recorded" if posted else "Already recorded"
    out.print(f"{done}: payment {reference}. {organisation.upper()} now owes {format_cents(owed)}.")
