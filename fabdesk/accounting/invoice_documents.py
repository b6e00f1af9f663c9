"""What an invoice or a credit note is printed as: a PDF with the EPC payment QR code, and for
organisations the Peppol BIS Billing 3.0 UBL XML (pure: values in, bytes out).

The EPC QR code ("GiroCode", EPC069-12 version 002, made by segno) carries the lab's name and
IBAN, the amount to pay and the structured communication, which Belgian banking apps read.

The UBL follows Peppol BIS Billing 3.0 (EN 16931): prices are VAT included in the ledger, so
each line's net amount is its total less its VAT (as the ledger booked them), quantity one line
(`C62`); the VAT breakdown is per rate (category `S`); what maker cheques paid is `PrepaidAmount`;
`PayableAmount` is what the customer pays. Parties are identified by their Belgian enterprise
numbers (scheme `0208`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from xml.etree import ElementTree as ET

from stdnum.be import vat as be_vat

from fabdesk.accounting._documents import euros, local_forms
from fabdesk.accounting.invoices import InvoiceView, format_communication
from fabdesk.identifiers import format_enterprise_number
from fabdesk.settings import InvoicingSettings

__all__ = ["epc_payload", "invoice_pdf", "invoice_ubl"]

_UBL = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
_CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"


def _epc_qr(view: InvoiceView, settings: InvoicingSettings) -> object:
    import segno.helpers

    return segno.helpers.make_epc_qr(
        name=settings.legal_name[:70],
        iban=settings.iban.replace(" ", ""),
        amount=Decimal(view.invoice.to_pay_cents) / 100,
        text=format_communication(view.invoice.communication),
        bic=settings.bic or None,
    )


def epc_payload(view: InvoiceView, settings: InvoicingSettings) -> bytes:
    """The EPC QR code as a PNG image."""
    buffer = io.BytesIO()
    _epc_qr(view, settings).save(buffer, kind="png", scale=4, border=4)  # type: ignore[attr-defined]
    return buffer.getvalue()


def _title(view: InvoiceView, _: Callable[[str], str]) -> str:
    if view.invoice.credit_note:
        return _("Credit note {number}").format(number=view.invoice.document_number)
    return _("Invoice {number}").format(number=view.invoice.document_number)


def invoice_pdf(
    view: InvoiceView, settings: InvoicingSettings, vat_rate: Decimal, language: str
) -> bytes:
    """The invoice (or credit note) as an A4 PDF, with the EPC payment QR code when there is
    something to pay; its amounts and days in the local form of `language`."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    invoice = view.invoice
    forms = local_forms(language)
    _ = forms.say
    sign = -1 if invoice.credit_note else 1
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer, pagesize=A4, title=_title(view, _), invariant=1, leftMargin=36, rightMargin=36
    )
    rate = f"{vat_rate * 100:.0f} %"
    seller = [
        settings.legal_name,
        settings.address,
        _("VAT number {number}").format(
            number=f"BE{format_enterprise_number(be_vat.compact(settings.vat_number))}"
        ),
        f"IBAN {settings.iban}" + (f" BIC {settings.bic}" if settings.bic else ""),
    ]
    number = view.customer_enterprise_number
    buyer = [
        view.customer_name,
        *([view.customer_address] if view.customer_address else []),
        *(
            [_("Enterprise number {number}").format(number=format_enterprise_number(number))]
            if number
            else []
        ),
        _("Customer {code}").format(code=view.customer_code),
    ]
    story: list[object] = [
        Paragraph(_title(view, _), styles["Title"]),
        Table(
            [
                [_("Seller"), _("Customer")],
                *zip(seller, buyer + [""] * (len(seller) - len(buyer)), strict=False),
            ],
            colWidths=[260, 260],
        ),
        Spacer(1, 8),
        Paragraph(
            _("Date {issued} &nbsp; Due {due} &nbsp; Period {month}").format(
                issued=forms.day(invoice.issued_on),
                due=forms.day(invoice.due_on),
                month=invoice.month,
            ),
            styles["Normal"],
        ),
    ]
    if view.credited_number:
        credits = _("Credits invoice {number}.").format(number=view.credited_number)
        story.append(Paragraph(credits, styles["Normal"]))
    story.append(Spacer(1, 8))
    header = [
        _("date"),
        _("machine"),
        _("start-end"),
        _("min"),
        _("description"),
        _("unit price"),
        _("VAT"),
        "EUR",
    ]
    rows = [
        [
            forms.day(line.day),
            line.machine,
            f"{line.start}-{line.end}" if line.start else "",
            str(abs(line.minutes)) if line.minutes else "",
            Paragraph(
                line.describe(_, forms.day) + (f" ({line.used_by})" if line.used_by else ""),
                styles["BodyText"],
            ),
            line.price(forms.amount),
            rate,
            forms.amount(sign * line.total_cents),
        ]
        for line in view.lines
    ]
    table = Table([header, *rows], repeatRows=1, colWidths=[52, 58, 52, 26, 170, 52, 34, 52])
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ]
        )
    )
    story += [table, Spacer(1, 8)]
    base = invoice.total_cents - invoice.vat_cents
    summary = [
        [_("VAT rate"), _("base EUR"), _("VAT EUR"), _("total EUR")],
        [
            rate,
            forms.amount(sign * base),
            forms.amount(sign * invoice.vat_cents),
            forms.amount(sign * invoice.total_cents),
        ],
        [_("paid by maker cheques"), "", "", forms.amount(sign * invoice.cheque_cents)],
        [
            _("credited") if invoice.credit_note else _("to pay"),
            "",
            "",
            forms.amount(sign * invoice.to_pay_cents),
        ],
    ]
    story += [Table(summary, colWidths=[130, 80, 80, 80]), Spacer(1, 8)]
    communication = format_communication(invoice.communication)
    if invoice.credit_note:
        reference = _("Reference {communication}.").format(communication=communication)
        story.append(Paragraph(reference, styles["Normal"]))
    elif invoice.to_pay_cents > 0:
        story.append(
            Paragraph(
                _(
                    "Please pay {amount} by {due} to {iban} with the structured communication "
                    "{communication}, or scan the code with your banking app."
                ).format(
                    amount=forms.money(invoice.to_pay_cents),
                    due=forms.day(invoice.due_on),
                    iban=settings.iban,
                    communication=communication,
                ),
                styles["Normal"],
            )
        )
        story.append(Image(io.BytesIO(epc_payload(view, settings)), 120, 120))
    template.build(story)
    return buffer.getvalue()


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    namespace = _CBC if tag.startswith("cbc:") else _CAC
    element = ET.SubElement(parent, f"{{{namespace}}}{tag[4:]}", attrs)
    if text is not None:
        element.text = text
    return element


def _amount(parent: ET.Element, tag: str, cents: int) -> None:
    _sub(parent, tag, euros(cents), currencyID="EUR")


def _party(parent: ET.Element, tag: str, name: str, address: str, number: str | None) -> None:
    party = _sub(_sub(parent, tag), "cac:Party")
    digits = be_vat.compact(number) if number else ""
    if digits:
        _sub(party, "cbc:EndpointID", digits, schemeID="0208")
    postal = _sub(party, "cac:PostalAddress")
    if address:
        _sub(postal, "cbc:StreetName", address.split(",")[0].strip())
        if "," in address:
            _sub(postal, "cbc:CityName", address.split(",", 1)[1].strip())
    _sub(_sub(postal, "cac:Country"), "cbc:IdentificationCode", "BE")
    if digits:
        tax = _sub(party, "cac:PartyTaxScheme")
        _sub(tax, "cbc:CompanyID", f"BE{digits}")
        _sub(_sub(tax, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _sub(party, "cac:PartyLegalEntity")
    _sub(legal, "cbc:RegistrationName", name)
    if digits:
        _sub(legal, "cbc:CompanyID", digits, schemeID="0208")


def invoice_ubl(view: InvoiceView, settings: InvoicingSettings, vat_rate: Decimal) -> bytes:
    """The invoice (`Invoice`) or credit note (`CreditNote`) as Peppol BIS Billing 3.0 UBL."""
    invoice = view.invoice
    root_name = "CreditNote" if invoice.credit_note else "Invoice"
    sign = -1 if invoice.credit_note else 1
    ET.register_namespace("", _UBL[root_name])
    ET.register_namespace("cac", _CAC)
    ET.register_namespace("cbc", _CBC)
    root = ET.Element(f"{{{_UBL[root_name]}}}{root_name}")
    _sub(root, "cbc:CustomizationID", CUSTOMIZATION)
    _sub(root, "cbc:ProfileID", PROFILE)
    _sub(root, "cbc:ID", invoice.document_number)
    _sub(root, "cbc:IssueDate", invoice.issued_on.isoformat())
    if not invoice.credit_note:
        _sub(root, "cbc:DueDate", invoice.due_on.isoformat())
    _sub(root, f"cbc:{root_name}TypeCode", "381" if invoice.credit_note else "380")
    _sub(root, "cbc:DocumentCurrencyCode", "EUR")
    _sub(root, "cbc:BuyerReference", view.customer_code)
    if view.credited_number:
        reference = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _sub(reference, "cbc:ID", view.credited_number)
    _party(root, "cac:AccountingSupplierParty", settings.legal_name, settings.address,
           settings.vat_number)  # fmt: skip
    _party(root, "cac:AccountingCustomerParty", view.customer_name, view.customer_address,
           view.customer_enterprise_number)  # fmt: skip
    means = _sub(root, "cac:PaymentMeans")
    _sub(means, "cbc:PaymentMeansCode", "30")
    _sub(means, "cbc:PaymentID", format_communication(invoice.communication))
    _sub(_sub(means, "cac:PayeeFinancialAccount"), "cbc:ID", settings.iban.replace(" ", ""))
    if not invoice.credit_note:
        _sub(_sub(root, "cac:PaymentTerms"), "cbc:Note", f"Due {invoice.due_on.isoformat()}")
    percent = f"{vat_rate * 100:.2f}"
    base = sign * (invoice.total_cents - invoice.vat_cents)
    tax_total = _sub(root, "cac:TaxTotal")
    _amount(tax_total, "cbc:TaxAmount", sign * invoice.vat_cents)
    subtotal = _sub(tax_total, "cac:TaxSubtotal")
    _amount(subtotal, "cbc:TaxableAmount", base)
    _amount(subtotal, "cbc:TaxAmount", sign * invoice.vat_cents)
    category = _sub(subtotal, "cac:TaxCategory")
    _sub(category, "cbc:ID", "S")
    _sub(category, "cbc:Percent", percent)
    _sub(_sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")
    totals = _sub(root, "cac:LegalMonetaryTotal")
    _amount(totals, "cbc:LineExtensionAmount", base)
    _amount(totals, "cbc:TaxExclusiveAmount", base)
    _amount(totals, "cbc:TaxInclusiveAmount", sign * invoice.total_cents)
    _amount(totals, "cbc:PrepaidAmount", sign * invoice.cheque_cents)
    _amount(totals, "cbc:PayableAmount", sign * invoice.to_pay_cents)
    for index, line in enumerate(view.lines, start=1):
        net = sign * (line.total_cents - line.vat_cents)
        element = _sub(root, f"cac:{root_name}Line")
        _sub(element, "cbc:ID", str(index))
        quantity = "Credited" if invoice.credit_note else "Invoiced"
        _sub(element, f"cbc:{quantity}Quantity", "1" if net >= 0 else "-1", unitCode="C62")
        _amount(element, "cbc:LineExtensionAmount", net)
        item = _sub(element, "cac:Item")
        times = f" {line.start}-{line.end}" if line.start else ""
        _sub(item, "cbc:Name", f"{line.day.isoformat()}{times} {line.description}"[:200])
        tax = _sub(item, "cac:ClassifiedTaxCategory")
        _sub(tax, "cbc:ID", "S")
        _sub(tax, "cbc:Percent", percent)
        _sub(_sub(tax, "cac:TaxScheme"), "cbc:ID", "VAT")
        _amount(_sub(element, "cac:Price"), "cbc:PriceAmount", abs(net))
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
