"""The accounting commands as a manager runs them: real processes on a SQLite file."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

from sqlmodel import Session

from fabdesk import exit_codes
from fabdesk.db import make_engine
from fabdesk.settings import DatabaseSettings
from tests.accounting.factories import add_maker, add_usage, at, build_lab
from tests.support.cli import fabdesk as run_fabdesk


def fabdesk(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_fabdesk(*args, env={"FABDESK_DATABASE__URL": url})


def test_a_month_from_charging_to_close_statement_and_reports(
    sqlite_url: str, tmp_path: Path
) -> None:
    engine = make_engine(DatabaseSettings(url=sqlite_url))
    with Session(engine) as session:
        lab = build_lab(session)
        maker = add_maker(session, "A1")
        add_usage(session, lab.laser, maker, ended_at=at("2026-10-05 14:37"), active_seconds=2220)
        session.commit()
    engine.dispose()

    added = fabdesk(
        sqlite_url,
        "cheques",
        "programme",
        "add",
        "chq",
        "--name",
        "Chèques-makers",
        "--funder",
        "region",
        "--face-value",
        "100.00",
        "--copay",
        "20",
        "--from",
        "2026-01-01",
        "--until",
        f"{date.today().year + 1}-12-31",
        "--sector",
        "creative",
    )
    assert added.returncode == 0, added.stderr
    listed = fabdesk(sqlite_url, "cheques", "programme", "list")
    assert "chq" in listed.stdout
    assert "20 %" in listed.stdout
    qr = tmp_path / "cheque.png"
    issued = fabdesk(
        sqlite_url, "cheques", "issue", "--programme", "chq", "--member", "A1", "--qr", str(qr)
    )
    assert issued.returncode == 0, issued.stderr
    assert qr.read_bytes().startswith(b"\x89PNG")

    charged = fabdesk(sqlite_url, "charge", "pending")
    assert "Charged 1 usage session(s)." in charged.stdout
    assert "Charged 0" in fabdesk(sqlite_url, "charge", "pending").stdout
    closed = fabdesk(sqlite_url, "close", "2026-10")
    assert "Month 2026-10 closed" in closed.stdout, closed.stderr
    assert fabdesk(sqlite_url, "close", "2026-10").stdout == closed.stdout
    check = fabdesk(sqlite_url, "ledger", "check")
    assert check.returncode == 0
    assert "The ledger balances." in check.stdout

    pdf, table = tmp_path / "a1.pdf", tmp_path / "a1.csv"
    done = fabdesk(
        sqlite_url, "statement", "A1", "--month", "2026-10", "--csv", str(table), "--pdf", str(pdf)
    )
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "18.50" in table.read_text()
    for kind in ("coinvestors", "programme", "sectors", "costs"):
        shown = fabdesk(sqlite_url, "report", kind, "--month", "2026-10")
        assert shown.returncode == 0, shown.stderr

    bad = fabdesk(sqlite_url, "close", "11-2026")
    assert bad.returncode == exit_codes.INVALID_VALUE
    assert "YYYY-MM" in bad.stderr
    early = fabdesk(sqlite_url, "close", f"{date.today().year + 1}-01")
    assert early.returncode == exit_codes.RULE_VIOLATION
    refused = fabdesk(sqlite_url, "cheques", "issue", "--programme", "nope", "--member", "A1")
    assert refused.returncode == exit_codes.NOT_FOUND
