"""Statements a maker or an organisation can read: opening balance, movements, closing balance,
lines in time order with machine names and local times; an organisation's lines name the maker
(both databases)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

from sqlmodel import Session

from fabdesk.accounting import post_pending_charges, record_payment
from fabdesk.accounting.pricing import PriceRules
from fabdesk.accounting.statements import (
    maker_statement,
    organisation_statement,
    statement_csv,
    statement_pdf,
)
from fabdesk.models import Booking, Organisation, id_of
from tests.accounting.factories import ZONE, Lab, add_maker, add_usage, at

LOCAL_FORM_BROKEN = re.compile(r"\d\.\d\d\b|\d{4}-\d{2}-\d{2}|EUR \d")
"""An amount with a decimal point, an ISO day or "EUR 12": not how a PDF says them in French."""


def test_a_makers_statement_from_opening_to_closing_balance(
    session: Session, lab: Lab, tmp_path: Path
) -> None:
    maker = add_maker(session, "A1")
    add_usage(session, lab.laser, maker, ended_at=at("2026-10-20 10:00"), active_seconds=600)
    # Entered out of order: the later job first.
    add_usage(session, lab.vinyl, maker, ended_at=at("2026-11-05 16:00"), active_seconds=900)
    add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 09:30"), active_seconds=1800)
    post_pending_charges(session, now=at("2026-11-06 08:00"), rules=PriceRules.default())
    record_payment(
        session,
        maker_id=id_of(maker),
        cents=500,
        reference="BANK-1",
        now=at("2026-11-07 09:00"),
        zone=ZONE,
    )
    statement = maker_statement(session, "A1", "2026-11")
    assert statement.opening_cents == 500  # October: 10 min of laser
    assert [(line.machine, line.start, line.end, line.maker_cents) for line in statement.lines] == [
        ("CF1-LAS-01", "10:00", "10:30", 1500),  # Brussels: UTC+1 in November
        ("CF1-VIN-01", "16:45", "17:00", 300),
        ("", "", "", -500),
    ]
    assert statement.movements_cents == 1300
    assert statement.closing_cents == 1800
    rows = list(csv.reader(io.StringIO(statement_csv(statement))))
    assert rows[0][:5] == ["date", "kind", "start", "end", "machine"]
    assert rows[2][0] == "2026-11-05", "a CSV says days and amounts as data"
    assert (rows[1][1], rows[1][-1]) == ("opening balance", "5.00")
    assert (rows[-2][1], rows[-2][-1]) == ("movements", "13.00")
    assert (rows[-1][1], rows[-1][-1]) == ("closing balance", "18.00")
    assert all(len(row) == len(rows[0]) for row in rows)
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(statement_pdf(statement, "fr"))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    for shown in (
        "solde d'ouverture",
        "solde de clôture",
        "Heures locales (Europe/Brussels).",
        "CF1-VIN-01",
        "16:45",
        "18,00",
        "nov. 2026",
    ):
        assert shown in text, shown
    assert "Dû à la fin du mois : 18,00\xa0€." in text.replace(" €", "\xa0€")
    assert not LOCAL_FORM_BROKEN.search(text), LOCAL_FORM_BROKEN.search(text)


def test_an_organisations_statement_names_the_maker(session: Session, lab: Lab) -> None:
    school = Organisation(code="ERASMUS", name="Erasmus", enterprise_number="0123456749")
    session.add(school)
    session.flush()
    alice = add_maker(session, "A1")
    booking = Booking(
        equipment_id=id_of(lab.laser),
        maker_id=id_of(alice),
        starts_at=at("2026-11-05 09:00"),
        ends_at=at("2026-11-05 10:00"),
        blocked_until=at("2026-11-05 10:00"),
        created_at=at("2026-11-01 10:00"),
        organisation_id=id_of(school),
    )
    session.add(booking)
    session.flush()
    usage = add_usage(
        session, lab.laser, alice, ended_at=at("2026-11-05 09:30"), active_seconds=1800
    )
    usage.booking_id = id_of(booking)
    session.add(usage)
    session.flush()
    post_pending_charges(session, now=at("2026-11-06 08:00"), rules=PriceRules.default())
    statement = organisation_statement(session, "erasmus", "2026-11")
    [line] = statement.lines
    assert (line.used_by, line.machine, line.maker_cents) == ("A1 Maker A1", "CF1-LAS-01", 1500)
    rows = list(csv.reader(io.StringIO(statement_csv(statement))))
    assert rows[0][5] == "used by"
    assert rows[2][5] == "A1 Maker A1"
