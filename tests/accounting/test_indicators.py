"""The funders' reports on a month with every sector and makers of unknown sector (both databases):
they never crash, count by the sector at the time of use, and their PDFs read back as text."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from fabdesk.accounting import issue_cheque, post_pending_charges
from fabdesk.accounting._documents import DATA, local_forms, to_csv, to_pdf
from fabdesk.accounting.indicators import indicators_report, parse_period
from fabdesk.accounting.pricing import PriceRules
from fabdesk.accounting.reports import programme_report, sector_report
from fabdesk.errors import InvalidValue
from fabdesk.models import Sector, Tier, UsageCharge, id_of
from tests.accounting.factories import ZONE, Lab, add_maker, add_region_programme, add_usage, at


@pytest.fixture
def every_sector(session: Session, lab: Lab) -> Lab:
    """November 2026: one maker per sector and one without, 30 min of laser each (€15.00);
    the maker without a sector spends a cheque (any sector) on the vinyl cutter in December."""
    add_region_programme(session)
    makers = [add_maker(session, f"S{i}", sector=sector) for i, sector in enumerate(Sector)]
    nobody = add_maker(session, "N1", sector=None, tier=Tier.STUDENT)
    issue_cheque(
        session,
        programme_code="chq",
        maker_id=id_of(nobody),
        today=date(2026, 11, 2),
        now=at("2026-11-02 09:00"),
        new_code=lambda: "MC-N1",
        zone=ZONE,
    )
    for day, maker in enumerate([*makers, nobody], start=3):
        add_usage(
            session, lab.laser, maker, ended_at=at(f"2026-11-{day:02d} 10:00"), active_seconds=1800
        )
    add_usage(session, lab.vinyl, nobody, ended_at=at("2026-12-01 10:00"), active_seconds=900)
    post_pending_charges(session, now=at("2026-12-01 12:00"), rules=PriceRules.default())
    # The sector at the time of use counts, not the sector given later.
    nobody.sector = Sector.HEALTH
    session.add(nobody)
    session.flush()
    return lab


def test_sector_and_programme_reports_have_a_row_for_unknown(
    session: Session, every_sector: Lab
) -> None:
    sectors = {
        row[1]: (row[2], row[3]) for row in sector_report(session, "2026-11", zone=ZONE).rows
    }
    assert sectors == {sector.value: ("1", "0.50") for sector in Sector} | {"none": ("1", "0.50")}
    assert programme_report(session, "2026-11").rows == [
        ["chq", "laser", "none", "6.00", "1"]
    ]  # student: 80 % of 7.50


def test_the_charge_records_sector_and_tier_at_the_time_of_use(
    session: Session, every_sector: Lab
) -> None:
    charges = session.exec(select(UsageCharge)).all()
    assert {(c.sector, c.tier) for c in charges} == {
        (sector.value, "standard") for sector in Sector
    } | {(None, "student")}


def test_indicators_of_a_quarter(session: Session, every_sector: Lab) -> None:
    document = indicators_report(session, "2026-Q4", DATA)
    rows = {(row[0], row[1]): row[2:] for row in document.rows}
    # 30 min of laser at €30/h = €15.00 incl. VAT = €12.40 net; the student (tier discount) less.
    assert rows[("sector", "creative")] == ["1", "0.50", "12.40"]
    assert rows[("sector", "construction")] == ["1", "0.50", "12.40"]
    assert rows[("sector", "none")][:2] == ["2", "0.75"]
    assert rows[("month", "2026-10")] == ["0", "0.00", "0.00"]
    assert rows[("month", "2026-11")][:2] == ["6", "3.00"]
    assert rows[("month", "2026-12")][:2] == ["1", "0.25"]
    assert rows[("site", "cityfab1")][:2] == ["7", "3.25"]
    assert rows[("category", "vinyl")][:2] == ["1", "0.25"]
    assert ("cheques", "chq/none") in rows
    # The laser's co-investors: 50/30/20 of 3 hours.
    assert rows[("coinvestor", "Brussels-Capital Region")][1] == "1.50"
    assert rows[("coinvestor", "City of Brussels")][1] == "0.90"
    assert sum(int(row[4].replace(".", "")) for row in document.rows if row[0] == "sector") == sum(
        int(row[4].replace(".", "")) for row in document.rows if row[0] == "month"
    )
    table = list(csv.reader(io.StringIO(to_csv(document))))
    assert table[0] == ["indicator", "group", "sessions", "hours", "EUR"]


def test_indicators_pdf_reads_back_with_its_charts(
    session: Session, every_sector: Lab, tmp_path: Path
) -> None:
    pdf = tmp_path / "q4.pdf"
    pdf.write_bytes(to_pdf(indicators_report(session, "2026", local_forms("nl"))))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    assert "12,40" in text  # a laser's half hour, net of VAT, in nl-BE's form
    assert "0,50" in text
    assert not re.search(r"\d\.\d\d\b", text), "no decimal point in an amount or hours"
    assert "Indicatoren van het Industrieel Plan 2026" in text
    assert "Gebruiksuren van de machines per sector" in text
    assert "Opbrengst en uren per maand" in text
    assert "agrovoeding" in text
    assert "geen" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    assert next(tmp_path.glob("page*.png")).read_bytes().startswith(b"\x89PNG")


def test_periods() -> None:
    assert parse_period("2026-Q4").months == ["2026-10", "2026-11", "2026-12"]
    assert parse_period("2026-02").end_day == date(2026, 3, 1)
    assert len(parse_period("2026").months) == 12
    for wrong in ("2026-Q5", "2026-13", "Q4", ""):
        with pytest.raises(InvalidValue):
            parse_period(wrong)
