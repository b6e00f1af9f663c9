"""Statements and reports: the numbers in them, CSV and PDF (with charts), on both databases."""

from __future__ import annotations

import csv
import io
from datetime import date, time

import pytest
from sqlmodel import Session

from fabdesk.accounting import (
    add_programme,
    close_period,
    expire_cheques,
    issue_cheque,
    post_pending_charges,
    reverse_charge,
)
from fabdesk.accounting._documents import to_csv, to_pdf
from fabdesk.accounting.pricing import PriceRules
from fabdesk.accounting.reports import (
    coinvestor_report,
    cost_report,
    programme_report,
    sector_report,
)
from fabdesk.accounting.statements import maker_statement, statement_csv, statement_pdf
from fabdesk.errors import InvalidValue, NotFound
from fabdesk.models import EquipmentCost, OpeningHours, Sector, id_of
from tests.accounting.factories import ZONE, Lab, add_maker, add_usage, at


@pytest.fixture
def month_of_use(session: Session, lab: Lab) -> Lab:
    """November 2026: Alice (creative) uses a 20 % cheque on the laser; Bob (health) pays."""
    add_programme(
        session,
        code="chq",
        name="Chèques-makers",
        funder_code="region",
        face_value_cents=10000,
        copay_basis_points=2000,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        cheque_validity_days=20,
    )
    alice = add_maker(session, "A1", sector=Sector.CREATIVE)
    bob = add_maker(session, "B1", sector=Sector.HEALTH)
    issue_cheque(
        session,
        programme_code="chq",
        maker_id=id_of(alice),
        today=date(2026, 11, 2),
        now=at("2026-11-02 09:00"),
        new_code=lambda: "MC-A1",
        zone=ZONE,
    )
    add_usage(session, lab.laser, alice, ended_at=at("2026-11-05 14:37"), active_seconds=37 * 60)
    add_usage(session, lab.laser, alice, ended_at=at("2026-11-06 10:00"), active_seconds=10 * 60)
    wrong = add_usage(session, lab.laser, bob, ended_at=at("2026-11-07 10:00"), active_seconds=600)
    add_usage(session, lab.vinyl, bob, ended_at=at("2026-11-08 10:00"), active_seconds=900)
    post_pending_charges(session, now=at("2026-11-08 12:00"), rules=PriceRules.default())
    reverse_charge(session, id_of(wrong), now=at("2026-11-09 12:00"), zone=ZONE)
    expire_cheques(session, date(2026, 11, 30), zone=ZONE)
    session.add(OpeningHours(site_id=id_of(lab.site), weekday=2, opens=_time(10), closes=_time(18)))
    session.add(
        EquipmentCost(
            equipment_id=id_of(lab.laser),
            year=2026,
            depreciation_cents=200000,
            maintenance_cents=50000,
            consumables_cents=10000,
        )
    )
    close_period(session, "2026-11", now=at("2026-12-01 06:00"), rules=PriceRules.default())
    return lab


def _time(hour: int) -> time:
    return time(hour)


def test_statement_shows_each_session_the_cheque_and_what_is_owed(
    session: Session, month_of_use: Lab
) -> None:
    alice = maker_statement(session, "A1", "2026-11")
    assert [
        (line.minutes, line.total_cents, line.cheque_cents, line.maker_cents)
        for line in alice.lines
    ] == [(37, 1850, 1480, 370), (10, 500, 400, 100)]
    assert (alice.opening_cents, alice.closing_cents) == (0, 470)
    bob = maker_statement(session, "B1", "2026-11")
    assert [line.kind for line in bob.lines] == ["charge", "charge", "reversal"]
    assert bob.closing_cents == 300  # a started quarter of vinyl; the laser job was reversed
    rows = list(csv.reader(io.StringIO(statement_csv(bob))))
    assert rows[0][0] == "date"
    assert rows[1][1:2] == ["opening balance"]
    assert rows[-2][1:2] == ["movements"]
    assert rows[-1][1:2] == ["closing balance"]
    assert rows[-1][-1] == "3.00"
    assert statement_pdf(alice, "nl").startswith(b"%PDF")
    with pytest.raises(NotFound):
        maker_statement(session, "nobody", "2026-11")
    with pytest.raises(InvalidValue):
        maker_statement(session, "A1", "November")


def test_coinvestor_report_splits_revenue_exactly(session: Session, month_of_use: Lab) -> None:
    document = coinvestor_report(session, "2026-11")
    laser = {row[0]: row[3] for row in document.rows if row[1] == "CF1-LAS-01"}
    # Each charge is split on its own, exactly: 15.29 -> 7.64 / 4.59 / 3.06 (worked example),
    # 4.13 (5.00 less 0.87 VAT) -> 2.06 / 1.24 / 0.83 (remainders .5 .9 .6: City, then school).
    assert laser == {
        "Brussels-Capital Region": "9.70",
        "City of Brussels": "5.83",
        "Erasmus school": "3.89",
    }
    assert sum(int(v.replace(".", "")) for v in laser.values()) == 1942
    assert to_pdf(document).startswith(b"%PDF")


def test_programme_report_counts_spending_makers_and_expiry(
    session: Session, month_of_use: Lab
) -> None:
    document = programme_report(session, "2026-11", "chq")
    assert document.rows == [["chq", "laser", "creative", "18.80", "1"]]
    assert document.notes == [
        "chq: issued EUR 100.00, spent EUR 18.80 by 1 distinct makers, expired unused EUR 81.20."
    ]
    assert to_pdf(document).startswith(b"%PDF")


def test_sector_report_and_cost_price(session: Session, month_of_use: Lab) -> None:
    sectors = {
        (row[1]): (row[2], row[3]) for row in sector_report(session, "2026-11", zone=ZONE).rows
    }
    assert sectors["creative"] == ("2", "0.78")
    assert sectors["health"] == ("2", "0.42")
    assert sectors["construction"] == ("0", "0.00")
    costs = {row[2]: row for row in cost_report(session, 2026, zone=ZONE).rows}
    # 2600 EUR of costs over 0.95 h of laser use; the site opens 8 h on 52 Wednesdays.
    assert costs["CF1-LAS-01"][3:8] == ["2600.00", "0.95", "2736.84", "30.00", "0.2 %"]
    assert to_csv(cost_report(session, 2026, zone=ZONE)).startswith("site,category")
