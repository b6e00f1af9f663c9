"""Payments from the bank: CODA and camt.053 files written from their specifications, matched by
structured communication then by amount and name, the rest listed; re-importing doubles nothing
(both databases)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from fabdesk.accounting import post_pending_charges
from fabdesk.accounting.bank import import_statement, parse_coda, unmatched
from fabdesk.accounting.charges import maker_balance
from fabdesk.accounting.invoices import issue_month
from fabdesk.accounting.pricing import PriceRules
from fabdesk.errors import ImportRejected
from fabdesk.models import Maker, id_of
from tests.accounting.factories import LAB, ZONE, Lab, add_maker, add_usage, at

DATA = Path(__file__).parents[1] / "data" / "bank"


@pytest.fixture
def invoiced(session: Session, lab: Lab) -> tuple[Maker, Maker]:
    """F2026-00001: A1 owes 18.50 (37 min of laser); F2026-00002: B1 owes 3.00 (vinyl)."""
    alice = add_maker(session, "A1")
    bob = add_maker(session, "B1")
    add_usage(session, lab.laser, alice, ended_at=at("2026-11-05 14:37"), active_seconds=2220)
    add_usage(session, lab.vinyl, bob, ended_at=at("2026-11-06 10:00"), active_seconds=900)
    post_pending_charges(session, now=at("2026-11-07 08:00"), rules=PriceRules.default())
    issued = issue_month(session, month="2026-11", today=date(2026, 11, 30), settings=LAB)
    assert [invoice.document_number for invoice in issued] == ["F2026-00001", "F2026-00002"]
    return alice, bob


def test_a_coda_statement(session: Session, invoiced: tuple[Maker, Maker]) -> None:
    alice, bob = invoiced
    text = (DATA / "statement.cod").read_text()
    lines = parse_coda(text)
    assert [(line.amount_cents, line.counterparty_name) for line in lines] == [
        (1850, "ALICE JANSSENS"),
        (300, "MAKER B1"),
        (5000, "UNKNOWN PERSON"),
        (-1200, ""),
    ]
    assert lines[0].communication == "261000000149"
    result = import_statement(
        session, text, now=at("2026-12-02 08:00"), source="statement.cod", zone=ZONE
    )
    assert (result.new, result.already_imported, result.matched) == (4, 0, 2)
    assert [row.amount_cents for row in result.unmatched] == [5000]
    assert maker_balance(session, id_of(alice)).owed_cents == 0  # by the communication
    assert maker_balance(session, id_of(bob)).owed_cents == 0  # by amount and name
    again = import_statement(
        session, text, now=at("2026-12-03 08:00"), source="statement.cod", zone=ZONE
    )
    assert (again.new, again.already_imported, again.matched) == (0, 4, 0)
    assert maker_balance(session, id_of(alice)).owed_cents == 0
    assert [(row.counterparty_name, row.matched_by) for row in unmatched(session)] == [
        ("UNKNOWN PERSON", "")
    ]


def test_a_camt053_statement(session: Session, invoiced: tuple[Maker, Maker]) -> None:
    alice, bob = invoiced
    text = (DATA / "statement.camt053.xml").read_text()
    result = import_statement(session, text, now=at("2026-12-02 08:00"), source="camt", zone=ZONE)
    assert (result.new, result.matched) == (3, 1)  # the pending entry is left for later
    assert [row.counterparty_name for row in result.unmatched] == ["Somebody Else"]
    assert maker_balance(session, id_of(alice)).owed_cents == 0
    assert maker_balance(session, id_of(bob)).owed_cents == 300
    again = import_statement(session, text, now=at("2026-12-02 09:00"), source="camt", zone=ZONE)
    assert (again.new, again.already_imported) == (0, 3)


def test_a_broken_file_is_refused_and_records_nothing(
    session: Session, invoiced: tuple[Maker, Maker]
) -> None:
    with pytest.raises(ImportRejected, match="128 characters"):
        import_statement(
            session, "0" * 127, now=at("2026-12-02 08:00"), source="bad.cod", zone=ZONE
        )
    with pytest.raises(ImportRejected, match="not XML"):
        import_statement(
            session, "<Document>", now=at("2026-12-02 08:00"), source="bad.xml", zone=ZONE
        )
    assert unmatched(session) == []
