"""Reports, organisations' material, invoices, the journal and the bank import as a manager runs
them: real processes on a SQLite file (a few commands a test, to stay within the time limit)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import Session

from fabdesk import exit_codes
from fabdesk.accounting import post_pending_charges
from fabdesk.accounting.materials import add_material
from fabdesk.accounting.pricing import PriceRules
from fabdesk.db import make_engine
from fabdesk.models import id_of
from fabdesk.settings import DatabaseSettings
from inventory.organisations import add_organisation
from tests.accounting.factories import add_maker, add_usage, at, build_lab
from tests.support.cli import fabdesk as run_fabdesk

LAB_ENV = {
    "FABDESK_ACCOUNTING__INVOICING__LEGAL_NAME": "Cityfab asbl",
    "FABDESK_ACCOUNTING__INVOICING__ADDRESS": "Rue Claessens 1, 1020 Bruxelles",
    "FABDESK_ACCOUNTING__INVOICING__VAT_NUMBER": "BE0403019261",
    "FABDESK_ACCOUNTING__INVOICING__IBAN": "BE71096123456769",
}
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def fabdesk(sqlite_url: str) -> Run:
    """October 2026: A1 used the laser 37 min (€18.50); N1, who gave no sector, the vinyl
    cutter; MDF is sold at the desk; Erasmus pays for its makers."""
    engine = make_engine(DatabaseSettings(url=sqlite_url))
    with Session(engine) as session:
        lab = build_lab(session)
        maker = add_maker(session, "A1")
        add_usage(session, lab.laser, maker, ended_at=at("2026-10-05 14:37"), active_seconds=2220)
        nobody = add_maker(session, "N1", sector=None)  # the reports crashed on such makers
        add_usage(session, lab.vinyl, nobody, ended_at=at("2026-10-06 10:00"), active_seconds=60)
        post_pending_charges(session, now=at("2026-10-06 18:00"), rules=PriceRules.default())
        add_material(session, site_id=id_of(lab.site), code="mdf3", name="MDF 3 mm",
                     unit_price_cents=484, unit_cost_cents=250)  # fmt: skip
        add_organisation(session, code="erasmus", name="Erasmus", enterprise_number="0123456749")
        session.commit()
    engine.dispose()

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_fabdesk(*args, env={"FABDESK_DATABASE__URL": sqlite_url, **(env or {})})

    return run


def test_reports_with_a_maker_of_unknown_sector(fabdesk: Run, tmp_path: Path) -> None:
    sectors = fabdesk("report", "sectors", "--month", "2026-10")
    assert sectors.returncode == 0, sectors.stderr
    assert "none" in sectors.stdout
    profile = fabdesk("makers", "edit", "N1", "--sector", "health", "--tier", "student")
    assert "Maker N1: tier student, sector health." in profile.stdout, profile.stderr
    wrong = fabdesk("makers", "edit", "N1", "--sector", "fishing")
    assert wrong.returncode == exit_codes.INVALID_VALUE
    assert "creative" in wrong.stderr
    indicators = tmp_path / "q4.csv"
    done = fabdesk("report", "indicators", "--period", "2026-Q4", "--csv", str(indicators))
    assert done.returncode == 0, done.stderr
    assert "sector,none,1,0.02,2.48" in indicators.read_text()


def test_material_billed_to_an_organisation_then_reversed(fabdesk: Run) -> None:
    sale = ["--site", "cityfab1", "--item", "mdf3", "--qty", "1", "--reference", "slip-2"]
    billed = fabdesk("material", "sell", *sale, "--organisation", "erasmus", "--maker", "A1")
    assert "to ERASMUS" in billed.stdout, billed.stderr
    assert "Reversed: sale slip-2." in fabdesk("material", "reverse", "slip-2").stdout
    assert "Already reversed" in fabdesk("material", "reverse", "slip-2").stdout


def test_invoices_from_the_command_line(fabdesk: Run, tmp_path: Path) -> None:
    refused = fabdesk("invoices", "issue", "--month", "2026-10")
    assert refused.returncode == exit_codes.INVALID_VALUE
    assert "legal_name" in refused.stderr
    issued = fabdesk("invoices", "issue", "--month", "2026-10", "--member", "A1", env=LAB_ENV)
    assert issued.returncode == 0, issued.stderr
    number = issued.stdout.split(": ", 1)[1].strip(" .\n")
    assert number.startswith("F20")
    assert number.endswith("-00001")
    again = fabdesk("invoices", "issue", "--month", "2026-10", "--member", "A1", env=LAB_ENV)
    assert "nothing to bill" in again.stdout
    pdf = tmp_path / "f1.pdf"
    shown = fabdesk("invoices", "show", number, "--pdf", str(pdf), env=LAB_ENV)
    assert shown.returncode == 0, shown.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "to pay EUR 18.50" in shown.stdout


def test_journal_and_bank_from_the_command_line(fabdesk: Run, tmp_path: Path) -> None:
    journal = tmp_path / "journal.csv"
    written = fabdesk("journal", "--month", "2026-10", "--csv", str(journal), "--belgian")
    assert written.returncode == 0, written.stderr
    assert "balanced" in written.stdout
    assert ";451000;" in journal.read_text()
    statement = Path(__file__).parents[1] / "data" / "bank" / "statement.camt053.xml"
    imported = fabdesk("bank", "import", str(statement))
    assert imported.returncode == 0, imported.stderr
    assert "3 new transactions" in imported.stdout
    assert "Somebody Else" in imported.stdout
    again = fabdesk("bank", "import", str(statement))
    assert "0 new transactions, 3 already imported" in again.stdout
