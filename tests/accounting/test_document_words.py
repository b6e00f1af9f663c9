"""The PDFs a maker or an organisation reads (statements, invoices, credit notes) and the
indicators report a funder reads say every heading, column title, label and line description in
the reader's language: the PDF is read back as text with poppler's `pdftotext`, and no English word
of their headings is left in French or Dutch (the twin of the letters' test in
tests/scheduling/test_letters.py). A line's description (a payment, a reversal, a missed booking)
is said from what its transaction is, not printed from the ledger's stored English memo; the CSV
keeps English: it is data. Both databases."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import Session

from fabdesk.accounting import post_pending_charges, reverse_charge
from fabdesk.accounting._documents import local_forms, to_pdf
from fabdesk.accounting.charges import record_payment
from fabdesk.accounting.indicators import indicators_report
from fabdesk.accounting.invoice_documents import invoice_pdf
from fabdesk.accounting.invoices import invoice_view, issue_invoices
from fabdesk.accounting.materials import add_material, reverse_sale, sell_material
from fabdesk.accounting.pricing import PriceRules
from fabdesk.accounting.statements import maker_statement, statement_csv, statement_pdf
from fabdesk.models import Site, id_of
from tests.accounting.factories import LAB, ZONE, Lab, add_maker, add_usage, at

ENGLISH_WORDS = re.compile(
    r"\b(opening|closing|balance|movements|kind|start|end|used|material|vat|pay|paid|"
    r"statement|usage|charged|owed|prices?|include|rounded|times|enterprise|seller|customer|"
    r"invoice|credit|credits|credited|note|due|period|unit|rate|reference|please|banking|"
    r"the|with|to|by|at|each|line|day|charge|reversal|reverses|payment|missed|booking|sale|"
    r"industrial|indicators|group|hours|revenue|category|month|coinvestor|investor|none|"
    r"health|creative|agrifood|manufacturing|weighted|share|booked|unknown|active|time)\b",
    re.IGNORECASE,
)
"""The English words of the documents' headings, labels and sentences that are neither French
nor Dutch ("date", "description", "total", "base" are French; "of", "per" Dutch)."""
SAID = {
    "fr": ["Relevé 2026-11", "solde d'ouverture", "solde de clôture", "TVA 21 % EUR"],
    "nl": ["Overzicht 2026-11", "beginsaldo", "eindsaldo", "btw 21 % EUR", "0,0"],
    "en": ["Statement 2026-11", "opening balance", "closing balance", "VAT 21 % EUR"],
}
INVOICE_SAID = {
    "fr": ["Facture F2026-00001", "Vendeur", "Client", "Échéance", "taux de TVA", "à payer"],
    "nl": ["Factuur F2026-00001", "Verkoper", "Klant", "Vervaldag", "btw-tarief", "te betalen"],
    "en": ["Invoice F2026-00001", "Seller", "Customer", "Due", "VAT rate", "to pay"],
}


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def _bills(session: Session, lab: Lab) -> None:
    """Two jobs charged (the ledger's own memos, such as a reversal's, are data: not here)."""
    maker = add_maker(session, "A1")
    add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 09:30"), active_seconds=2220)
    add_usage(session, lab.vinyl, maker, ended_at=at("2026-11-06 10:00"), active_seconds=900)
    post_pending_charges(session, now=at("2026-11-07 08:00"), rules=PriceRules.default())


def _english_left(text: str) -> list[str]:
    # The data a person gave (names, machine tags, the lab's address) are not headings.
    for data in (
        "Maker A1",
        "Cityfab asbl",
        "Rue Claessens 1, 1020 Bruxelles",
        "Brussels-Capital Region",
        "City of Brussels",
    ):
        text = text.replace(data, "")
    return ENGLISH_WORDS.findall(text)


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
def test_a_statement_pdf_is_in_its_readers_language(
    session: Session, lab: Lab, tmp_path: Path, language: str
) -> None:
    _bills(session, lab)
    statement = maker_statement(session, "A1", "2026-11")
    text = _text(statement_pdf(statement, language), tmp_path)
    for said in SAID[language]:
        assert said in text, said
    assert "(Europe/Brussels)" in text, "the zone of the machines' site"
    if language != "en":
        assert _english_left(text) == [], text


CREDIT_SAID = {
    "fr": ["Note de crédit C2026-00001", "Crédite la facture F2026-00001.", "crédité"],
    "nl": ["Creditnota C2026-00001", "Crediteert factuur F2026-00001.", "gecrediteerd"],
    "en": ["Credit note C2026-00001", "Credits invoice F2026-00001.", "credited"],
}


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
def test_an_invoice_pdf_and_its_credit_note_are_in_the_readers_language(
    session: Session, lab: Lab, tmp_path: Path, language: str
) -> None:
    maker = add_maker(session, "A1")
    job = add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 09:30"), active_seconds=2220)
    post_pending_charges(session, now=at("2026-11-07 08:00"), rules=PriceRules.default())
    text = _issued(session, "2026-11", date(2026, 12, 2), language, tmp_path)
    for said in INVOICE_SAID[language]:
        assert said in text, said
    if language != "en":
        assert _english_left(text) == [], text
    reverse_charge(session, id_of(job), now=at("2026-12-03 10:00"), zone=ZONE)
    credit_text = _issued(session, "2026-12", date(2026, 12, 3), language, tmp_path)
    for said in CREDIT_SAID[language]:
        assert said in credit_text, said


def _issued(session: Session, month: str, today: date, language: str, tmp_path: Path) -> str:
    """The text of the one document issued to maker A1 for `month`, printed in `language`."""
    [document] = issue_invoices(session, month=month, today=today, settings=LAB, maker_number="A1")
    view = invoice_view(session, document)
    return _text(invoice_pdf(view, LAB, Decimal("0.21"), language), tmp_path)


def test_a_statement_says_times_in_the_zone_of_the_machines_site(
    session: Session, lab: Lab, tmp_path: Path
) -> None:
    """A lab away from Brussels: its machines' times in its own zone, and the PDF names it."""
    site = session.get_one(Site, lab.laser.site_id)
    site.timezone = "Europe/London"
    session.add(site)
    session.flush()
    _bills(session, lab)
    statement = maker_statement(session, "A1", "2026-11")
    assert [(line.start, line.end) for line in statement.lines] == [
        ("08:53", "09:30"),  # London: UTC+0 in November
        ("09:45", "10:00"),
    ]
    text = _text(statement_pdf(statement, "en"), tmp_path)
    assert "Times are local (Europe/London)." in text
    assert "Brussels" not in text


LINES_SAID = {
    "fr": ["paiement BANK-1", "annule les frais du jeu. 5 nov. 2026", "annule la vente de"],
    "nl": ["betaling BANK-1", "boekt de kosten van do 5 nov 2026 terug", "boekt de verkoop"],
    "en": ["payment BANK-1", "reverses the charge of Thu 5 Nov 2026", "reverses the material"],
}


@pytest.mark.parametrize(("language", "lines_said"), LINES_SAID.items())
def test_a_statements_lines_say_what_they_are_in_the_readers_language(
    session: Session, lab: Lab, tmp_path: Path, language: str, lines_said: list[str]
) -> None:
    """A reversal, a payment and a sold (then reversed) sheet of material: each line said from
    its transaction's kind and references; the CSV keeps the English data."""
    maker = add_maker(session, "A1")
    job = add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 09:30"), active_seconds=600)
    post_pending_charges(session, now=at("2026-11-07 08:00"), rules=PriceRules.default())
    reverse_charge(session, id_of(job), now=at("2026-11-09 10:00"), zone=ZONE)
    record_payment(session, maker_id=id_of(maker), cents=500, reference="BANK-1",
                   now=at("2026-11-10 10:00"), zone=ZONE)  # fmt: skip
    add_material(
        session, site_id=id_of(lab.site), code="mdf3", name="MDF 3 mm", unit_price_cents=484,
        unit_cost_cents=250,
    )  # fmt: skip
    sell_material(
        session, site_id=id_of(lab.site), code="mdf3", quantity=2, maker_id=id_of(maker),
        key="desk-1", now=at("2026-11-11 10:00"),
    zone=ZONE,)  # fmt: skip
    reverse_sale(session, key="desk-1", now=at("2026-11-12 10:00"), zone=ZONE)
    statement = maker_statement(session, "A1", "2026-11")
    text = " ".join(_text(statement_pdf(statement, language), tmp_path).split())
    for said in lines_said:
        assert said in text, said
    assert "2 x MDF 3 mm" in text
    if language != "en":
        assert _english_left(text.replace("MDF 3 mm", "")) == [], text
    data = statement_csv(statement)
    assert "payment BANK-1" in data
    assert "reverses the charge of 2026-11-05" in data


REPORT_SAID = {
    "fr": ["Indicateurs du Plan industriel 2026-11", "Heures d'utilisation des machines par"],
    "nl": ["Indicatoren van het Industrieel Plan 2026-11", "Gebruiksuren van de machines per"],
    "en": ["Industrial Plan indicators 2026-11", "Hours of machine use by sector"],
}


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
def test_the_indicators_report_is_in_its_readers_language(
    session: Session, lab: Lab, tmp_path: Path, language: str
) -> None:
    _bills(session, lab)
    report = indicators_report(session, "2026-11", local_forms(language))
    text = " ".join(_text(to_pdf(report), tmp_path).split())
    for said in REPORT_SAID[language]:
        assert said in text, said
    if language != "en":
        assert _english_left(text) == [], text
