"""The accountant's journal: the Belgian chart of accounts, journal codes, document numbers, third
parties, VAT code and base on VAT lines only, booking dates inside the booked month, `;` and
decimal comma, and totals that balance (both databases)."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import Session

from fabdesk.accounting import (
    close_period,
    issue_cheque,
    post_pending_charges,
    record_payment,
    reverse_charge,
)
from fabdesk.accounting.invoices import issue_invoices
from fabdesk.accounting.journal import journal_csv, journal_lines
from fabdesk.accounting.pricing import PriceRules
from fabdesk.models import Sector, id_of
from fabdesk.settings import JournalSettings
from tests.accounting.factories import (
    LAB,
    ZONE,
    Lab,
    add_maker,
    add_region_programme,
    add_usage,
    at,
)

SETTINGS = JournalSettings()


def test_a_month_in_the_accountants_journal(session: Session, lab: Lab) -> None:
    add_region_programme(session)
    alice = add_maker(session, "A1", sector=Sector.CREATIVE)
    bob = add_maker(session, "B1")
    issue_cheque(session, programme_code="chq", maker_id=id_of(alice), today=date(2026, 11, 2),
                 now=at("2026-11-02 09:00"), new_code=lambda: "MC-A1", zone=ZONE)  # fmt: skip
    add_usage(session, lab.laser, alice, ended_at=at("2026-11-05 14:37"), active_seconds=37 * 60)
    wrong = add_usage(session, lab.vinyl, bob, ended_at=at("2026-11-06 10:00"), active_seconds=900)
    post_pending_charges(session, now=at("2026-11-07 08:00"), rules=PriceRules.default())
    [invoice] = issue_invoices(session, month="2026-11", today=date(2026, 11, 7), settings=LAB,
                               maker_number="A1")  # fmt: skip
    reverse_charge(session, id_of(wrong), now=at("2026-11-08 10:00"), zone=ZONE)
    record_payment(session, maker_id=id_of(alice), cents=370, reference="BANK-1",
                   now=at("2026-11-09 10:00"), zone=ZONE)  # fmt: skip
    lines = journal_lines(session, "2026-11", SETTINGS, zone=ZONE)
    assert sum(line.debit_cents for line in lines) == sum(line.credit_cents for line in lines)
    assert {line.journal for line in lines} == {"OD", "VEN", "NCV", "FIN"}
    charge = [line for line in lines if line.document == invoice.document_number]
    assert {(line.account, line.third_party) for line in charge} >= {
        ("400000", "A1"),  # the maker's 3.70
        ("416000", "MC-A1"),  # the cheque's 14.80
        ("451000", ""),
        ("489000", "region"),
    }
    [vat] = [line for line in charge if line.account == "451000"]
    assert (vat.credit_cents, vat.vat_code, vat.vat_base_cents) == (321, "21", 1529)
    assert all(line.vat_code == "" and line.vat_base_cents is None for line in lines
               if line.account != "451000")  # fmt: skip
    # The VAT column adds up to the VAT due: 3.21 (laser) + 0.52 - 0.52 (vinyl, reversed).
    vat_lines = [line for line in lines if line.account == "451000"]
    assert sum(line.credit_cents - line.debit_cents for line in vat_lines) == 321
    [bank] = [line for line in lines if line.account == "550000"]
    assert (bank.journal, bank.debit_cents, bank.booking_date) == ("FIN", 370, date(2026, 11, 9))
    text = journal_csv(session, "2026-11", SETTINGS, belgian=True, zone=ZONE)
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["journal", "document", "booking_date"]
    assert any(row[4] == "451000" and row[7:] == ["0,00", "3,21", "21", "15,29"] for row in rows)


def test_a_late_session_is_booked_in_the_open_month(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "L1")
    close_period(session, "2026-10", now=at("2026-11-01 06:00"), rules=PriceRules.default())
    add_usage(session, lab.laser, maker, ended_at=at("2026-10-30 10:00"), active_seconds=600)
    post_pending_charges(session, now=at("2026-11-03 09:00"), rules=PriceRules.default())
    [first, *_rest] = journal_lines(session, "2026-11", SETTINGS, zone=ZONE)
    assert (first.document_date, first.booking_date) == (date(2026, 10, 30), date(2026, 11, 3))
