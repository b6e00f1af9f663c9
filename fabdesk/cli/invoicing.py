"""Invoices and credit notes, the accountant's journal, and payments read from the bank.

Each command parses, calls one service of fabdesk.accounting in one transaction, and renders.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import app, out, utc_now
from fabdesk.db import session_scope, write_session
from fabdesk.i18n import counted

invoices_app = typer.Typer(
    help="Invoices and credit notes (Belgian rules): numbered without gaps per year and series, "
    "with the lab's legal data (settings: accounting.invoicing), a structured communication and "
    "an EPC payment QR code; organisations also get Peppol BIS 3.0 UBL XML.",
    no_args_is_help=True,
)
app.add_typer(invoices_app, name="invoices")


@invoices_app.command("issue")
def invoices_issue(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", help="The month billed, as YYYY-MM.")],
    member: Annotated[
        str | None, typer.Option("--member", help="Only this maker (member number).")
    ] = None,
    organisation: Annotated[
        str | None, typer.Option("--organisation", help="Only this organisation (code).")
    ] = None,
) -> None:
    """Invoice what was not invoiced yet in a month: one invoice per customer, and a credit note
    per earlier invoice whose lines were reversed. Safe to run again (nothing is billed twice).

    Example: `fabdesk invoices issue --month 2026-11`, then `fabdesk invoices show F2026-00001
    --pdf f1.pdf --ubl f1.xml`.
    """
    from fabdesk.accounting.invoices import issue_invoices, issue_month
    from fabdesk.accounting.months import local_day

    settings = ctx.obj.settings().accounting.invoicing
    today = local_day(utc_now(), ctx.obj.zone())
    with write_session(ctx.obj.engine()) as session:
        if member is None and organisation is None:
            issued = issue_month(session, month=month, today=today, settings=settings)
        else:
            issued = issue_invoices(
                session,
                month=month,
                today=today,
                settings=settings,
                maker_number=member,
                organisation_code=organisation,
            )
        numbers = [invoice.document_number for invoice in issued]
    out.print(
        f"Issued {counted(len(numbers), 'document')}: {', '.join(numbers) or 'nothing to bill'}."
    )


@invoices_app.command("list")
def invoices_list(ctx: typer.Context, year: Annotated[int, typer.Option(help="The year.")]) -> None:
    """List a year's invoices and credit notes, in number order."""
    from sqlmodel import col, select

    from fabdesk.accounting._documents import euros
    from fabdesk.accounting.invoices import format_communication
    from fabdesk.models import Invoice

    table = Table("number", "date", "due", "customer", "total EUR", "to pay EUR", "communication",
                  title=f"Invoices {year}")  # fmt: skip
    with session_scope(ctx.obj.engine()) as session:
        for invoice in session.exec(
            select(Invoice)
            .where(Invoice.year == year)
            .order_by(col(Invoice.series), col(Invoice.number))
        ).all():
            customer = (
                f"organisation {invoice.organisation_id}"
                if invoice.organisation_id
                else f"maker {invoice.maker_id}"
            )
            table.add_row(
                invoice.document_number,
                invoice.issued_on.isoformat(),
                invoice.due_on.isoformat(),
                customer,
                euros(invoice.total_cents),
                euros(invoice.to_pay_cents),
                format_communication(invoice.communication),
            )
    out.print(table)


@invoices_app.command("show")
def invoices_show(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The document's number, e.g. F2026-00001.")],
    pdf: Annotated[
        Path | None, typer.Option("--pdf", help="Write the PDF (with the payment QR code).")
    ] = None,
    ubl: Annotated[
        Path | None,
        typer.Option("--ubl", help="Write the Peppol BIS 3.0 UBL XML (organisations)."),
    ] = None,
) -> None:
    """Write an invoice or credit note as PDF and, for an organisation, as Peppol UBL XML."""
    from fabdesk.accounting._documents import euros
    from fabdesk.accounting.invoice_documents import invoice_pdf, invoice_ubl
    from fabdesk.accounting.invoices import find_invoice, format_communication, invoice_view
    from fabdesk.errors import InvalidValue

    accounting = ctx.obj.settings().accounting
    with session_scope(ctx.obj.engine()) as session:
        view = invoice_view(session, find_invoice(session, number))
    if ubl is not None and view.customer_enterprise_number is None:
        raise InvalidValue(
            "{number} is not billed to a company: Peppol UBL is for organisations.",
            number=number,
            error_code="not_an_organisation",
        )
    if pdf is not None:
        language = view.language or ctx.obj.settings().desk.language
        pdf.write_bytes(invoice_pdf(view, accounting.invoicing, accounting.vat_rate, language))
        out.print(f"PDF written to {pdf}")
    if ubl is not None:
        ubl.write_bytes(invoice_ubl(view, accounting.invoicing, accounting.vat_rate))
        out.print(f"UBL written to {ubl}")
    invoice = view.invoice
    out.print(
        f"{invoice.document_number} for {view.customer_name}: {counted(len(view.lines), 'line')}, "
        f"total EUR {euros(invoice.total_cents)}, to pay EUR {euros(invoice.to_pay_cents)} by "
        f"{invoice.due_on.isoformat()}, {format_communication(invoice.communication)}."
    )


@app.command("journal")
def journal(
    ctx: typer.Context,
    month: Annotated[str, typer.Option("--month", help="The month, as YYYY-MM.")],
    csv: Annotated[Path, typer.Option("--csv", help="Write the journal here.", dir_okay=False)],
    belgian: Annotated[
        bool,
        typer.Option(
            "--belgian", help="`;` between fields and a decimal comma (Belgian spreadsheets)."
        ),
    ] = False,
) -> None:
    """The accountant's journal of a month: journal code, document number, booking and document
    dates, account of the Belgian minimum chart (settings: accounting.journal), third party,
    debit, credit, VAT code and base on the VAT lines. Refused if it does not balance.
    """
    from fabdesk.accounting.journal import journal_csv

    settings = ctx.obj.settings().accounting.journal
    with session_scope(ctx.obj.engine()) as session:
        text = journal_csv(session, month, settings, zone=ctx.obj.zone(), belgian=belgian)
    csv.write_text(text, encoding="utf-8")
    lines = counted(text.count("\n") - 1, "line")
    out.print(f"Journal of {month} written to {csv}: {lines}, balanced.")


bank_app = typer.Typer(
    help="Payments read from the bank's statements (CODA or camt.053): matched to invoices by "
    "structured communication, then by amount and name.",
    no_args_is_help=True,
)
app.add_typer(bank_app, name="bank")


@bank_app.command("import")
def bank_import(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(help="A CODA file (.cod) or a camt.053 XML statement.", exists=True),
    ],
) -> None:
    """Import a bank statement: each transaction is recorded once (importing the file again
    records nothing), each credit matched to its invoice posts the payment; what cannot be
    matched is listed (see `fabdesk bank unmatched`)."""
    from fabdesk.accounting.bank import import_statement

    text = file.read_text(encoding="latin-1" if file.suffix.lower() == ".cod" else "utf-8")
    with write_session(ctx.obj.engine()) as session:
        result = import_statement(
            session, text, now=utc_now(), zone=ctx.obj.zone(), source=file.name
        )
        left = [
            (row.booked_on, row.amount_cents, row.counterparty_name) for row in result.unmatched
        ]
    out.print(
        f"{counted(result.new, 'new transaction')}, {result.already_imported} already imported; "
        f"{counted(result.matched, 'payment')} matched, {counted(len(left), 'credit')} not matched."
    )
    _print_unmatched(left)


def _print_unmatched(rows: Sequence[tuple[object, int, str]]) -> None:
    from fabdesk.accounting._documents import euros

    if rows:
        table = Table("booked", "EUR", "from", title="Credits not matched to an invoice")
        for booked, cents, name in rows:
            table.add_row(str(booked), euros(cents), name)
        out.print(table)


@bank_app.command("unmatched")
def bank_unmatched(ctx: typer.Context) -> None:
    """List the credits received that no invoice was matched to, oldest first."""
    from fabdesk.accounting.bank import unmatched

    with session_scope(ctx.obj.engine()) as session:
        rows = [
            (row.booked_on, row.amount_cents, row.counterparty_name) for row in unmatched(session)
        ]
    _print_unmatched(rows)
    if not rows:
        out.print("Every credit is matched.")
