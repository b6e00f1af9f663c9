"""Belgian invoices and credit notes: numbers, structured communications, the PDF read back as
text, the EPC payment QR code decoded by zbar, and the Peppol BIS 3.0 UBL of organisations."""

from __future__ import annotations

import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session
from stdnum.be import ogm_vcs

from fabdesk.accounting import post_pending_charges, reverse_charge
from fabdesk.accounting.invoice_documents import invoice_pdf
from fabdesk.accounting.invoices import (
    find_invoice,
    format_communication,
    invoice_view,
    issue_invoices,
)
from fabdesk.accounting.pricing import PriceRules
from fabdesk.errors import InvalidValue, NotFound
from fabdesk.models import id_of
from fabdesk.settings import InvoicingSettings
from tests.accounting.factories import LAB, ZONE, Lab, add_maker, add_usage, at

RATE_21 = Decimal("0.21")


def _zbar(png_or_pdf: Path, tmp_path: Path) -> str:
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(png_or_pdf),
                    str(tmp_path / "page")], check=True)  # fmt: skip
    page = next(tmp_path.glob("page*.png"))
    return subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sbinary", str(page)],
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")


def test_an_invoice_then_a_credit_note_that_names_it(
    session: Session, lab: Lab, tmp_path: Path
) -> None:
    maker = add_maker(session, "A1")
    first = add_usage(
        session, lab.laser, maker, ended_at=at("2026-11-05 09:30"), active_seconds=2220
    )
    add_usage(session, lab.vinyl, maker, ended_at=at("2026-11-06 10:00"), active_seconds=900)
    post_pending_charges(session, now=at("2026-11-07 08:00"), rules=PriceRules.default())
    [invoice] = issue_invoices(
        session, month="2026-11", today=date(2026, 12, 2), settings=LAB, maker_number="A1"
    )
    assert invoice.document_number == "F2026-00001"
    assert (invoice.total_cents, invoice.to_pay_cents) == (1850 + 300, 2150)
    assert invoice.due_on == date(2027, 1, 1)
    assert ogm_vcs.is_valid(invoice.communication)
    assert format_communication(invoice.communication).startswith("+++261/0000/001")
    assert (
        issue_invoices(
            session, month="2026-11", today=date(2026, 12, 2), settings=LAB, maker_number="A1"
        )
        == []
    )

    reverse_charge(session, id_of(first), now=at("2026-12-03 10:00"), zone=ZONE)
    [credit] = issue_invoices(
        session, month="2026-12", today=date(2026, 12, 3), settings=LAB, maker_number="A1"
    )
    assert (credit.document_number, credit.credit_note) == ("C2026-00001", True)
    assert credit.credits_invoice_id == invoice.id
    assert credit.to_pay_cents == -1850
    assert find_invoice(session, "c2026-00001").id == credit.id
    with pytest.raises(NotFound):
        find_invoice(session, "F2026-00009")

    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(invoice_pdf(invoice_view(session, invoice), LAB, RATE_21, "fr"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    communication = format_communication(invoice.communication)
    shown = ["Facture F2026-00001", "Cityfab asbl", "BE0403.019.261", "BE71 0961 2345 6769"]
    shown += ["Maker A1", "CF1-LAS-01", "09:53-10:30", "ven. 1 janv. 2027", communication]
    shown += ["21,50", "30,00/h", "12,00/h"]  # fr-BE's forms
    for expected in shown:
        assert expected in text, expected
    payload = _zbar(pdf, tmp_path).splitlines()
    # Service tag, version, character set (segno picks the smallest), SEPA credit transfer.
    assert (payload[0], payload[1], payload[3]) == ("BCD", "002", "SCT")
    assert payload[4:7] == ["GKCCBEBB", "Cityfab asbl", "BE71096123456769"]
    assert payload[7] == "EUR21.5"
    assert communication in payload

    credit_pdf = tmp_path / "credit.pdf"
    credit_pdf.write_bytes(invoice_pdf(invoice_view(session, credit), LAB, RATE_21, "en"))
    credit_text = subprocess.run(
        ["pdftotext", str(credit_pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "Credit note C2026-00001" in credit_text
    assert "Credits invoice F2026-00001" in credit_text


def test_invoices_need_the_labs_legal_data(session: Session, lab: Lab) -> None:
    add_maker(session, "A1")
    with pytest.raises(InvalidValue, match="legal_name"):
        issue_invoices(session, month="2026-11", today=date(2026, 12, 2),
                       settings=InvoicingSettings(), maker_number="A1")  # fmt: skip
    wrong = LAB.model_copy(update={"iban": "BE00 0000 0000 0000"})
    with pytest.raises(InvalidValue, match="IBAN"):
        issue_invoices(session, month="2026-11", today=date(2026, 12, 2), settings=wrong,
                       maker_number="A1")  # fmt: skip
