"""Invoices, the journal and the bank import as a manager runs them: real processes, SQLite."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlmodel import Session

from fabdesk import exit_codes
from fabdesk.accounting import post_pending_charges
from fabdesk.db import make_engine
from fabdesk.settings import DatabaseSettings
from tests.accounting.factories import add_maker, add_usage, at, build_lab
from tests.support.cli import fabdesk as run_fabdesk

LAB_ENV = {
    "FABDESK_ACCOUNTING__INVOICING__LEGAL_NAME": "Cityfab asbl",
    "FABDESK_ACCOUNTING__INVOICING__ADDRESS": "Rue Claessens 1, 1020 Bruxelles",
    "FABDESK_ACCOUNTING__INVOICING__VAT_NUMBER": "BE0403019261",
    "FABDESK_ACCOUNTING__INVOICING__IBAN": "BE71096123456769",
}


def test_invoices_from_the_command_line(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(DatabaseSettings(url=sqlite_url))
    with Session(engine) as session:
        lab = build_lab(session)
        maker = add_maker(session, "A1")
        add_usage(session, lab.laser, maker, ended_at=at("2026-10-05 14:37"), active_seconds=2220)
        post_pending_charges(session, now=at("2026-10-06 08:00"))
        session.commit()
    engine.dispose()

    def fabdesk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return run_fabdesk(*args, env={"FABDESK_DATABASE__URL": sqlite_url, **(env or {})})

    refused = fabdesk("invoices", "issue", "--month", "2026-10")
    assert refused.returncode == exit_codes.INVALID_VALUE
    assert "legal_name" in refused.stderr
    issued = fabdesk("invoices", "issue", "--month", "2026-10", env=LAB_ENV)
    assert issued.returncode == 0, issued.stderr
    number = issued.stdout.split(": ", 1)[1].strip(" .\n")
    assert number.startswith("F20")
    assert number.endswith("-00001")
    again = fabdesk("invoices", "issue", "--month", "2026-10", env=LAB_ENV)
    assert "nothing to bill" in again.stdout
    pdf = tmp_path / "f1.pdf"
    shown = fabdesk("invoices", "show", number, "--pdf", str(pdf), env=LAB_ENV)
    assert shown.returncode == 0, shown.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "to pay EUR 18.50" in shown.stdout
    not_a_company = fabdesk("invoices", "show", number, "--ubl", str(tmp_path / "f1.xml"))
    assert not_a_company.returncode == exit_codes.INVALID_VALUE
    journal = tmp_path / "journal.csv"
    written = fabdesk("journal", "--month", "2026-10", "--csv", str(journal), "--belgian")
    assert written.returncode == 0, written.stderr
    assert "balanced" in written.stdout
    assert ";451000;" in journal.read_text()
    statement = Path(__file__).parents[1] / "data" / "bank" / "statement.camt053.xml"
    imported = fabdesk("bank", "import", str(statement))
    assert imported.returncode == 0, imported.stderr
    assert "3 new transaction(s)" in imported.stdout
    assert "Somebody Else" in fabdesk("bank", "unmatched").stdout
    assert (
        "0 new transaction(s), 3 already imported"
        in fabdesk("bank", "import", str(statement)).stdout
    )
