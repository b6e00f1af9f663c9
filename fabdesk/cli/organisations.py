"""Paying organisations and the materials sold at the desk: `fabdesk organisations …` (partner
schools and companies, their linked makers, statements and payments) and `fabdesk material …`
(each site's catalogue of sheet materials, sales billed to a maker, an organisation or paid at
the till, and their reversal)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import MakerArgument, app, out, utc_now
from fabdesk.cli._documents import (
    CsvOption,
    LanguageOption,
    MonthOption,
    PdfOption,
    document_language,
    save_document,
)
from fabdesk.db import session_scope, write_session
from fabdesk.errors import InvalidValue
from fabdesk.money import parse_euros

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
    from inventory.lookups import get_site

    with session_scope(ctx.obj.engine()) as session:
        material = add_material(
            session,
            site_id=id_of(get_site(session, site)),
            code=code,
            name=name,
            unit_price_cents=parse_euros(price),
            unit_cost_cents=parse_euros(cost),
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
    from inventory.lookups import get_site

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
    from inventory.lookups import get_site
    from inventory.makers import find_by_badge
    from inventory.organisations import get_organisation
    from scheduling.machines import find_machine

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
            now=utc_now(),
            zone=ctx.obj.zone(),
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
        reversal = reverse_sale(session, key=reference, now=utc_now(), zone=ctx.obj.zone())
    out.print(f"{'Reversed' if reversal else 'Already reversed'}: sale {reference}.")


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
    forms = local_forms(document_language(ctx, language))
    save_document(statement_document(found, DATA), csv, pdf, local=statement_document(found, forms))


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
            session,
            organisation_id=found,
            cents=parse_euros(amount),
            reference=reference,
            now=utc_now(),
            zone=ctx.obj.zone(),
        )
        account = find_account(session, AccountKind.ORGANISATION, found)
        owed = balance(session, account) if account is not None else 0
    done = "Recorded" if posted else "Already recorded"
    out.print(f"{done}: payment {reference}. {organisation.upper()} now owes {format_cents(owed)}.")
