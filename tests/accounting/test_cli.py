"""The accounting commands as a manager runs them: real processes on a SQLite file."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
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
    qr = tmp_path / "cheque.png"
    issued = fabdesk(
        sqlite_url, "cheques", "issue", "--programme", "chq", "--member", "A1", "--qr", str(qr)
    )
    assert issued.returncode == 0, issued.stderr
    assert qr.read_bytes().startswith(b"\x89PNG")

    charged = fabdesk(sqlite_url, "charge", "pending")
    assert "Charged 1 usage session." in charged.stdout
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
    for kind in ("coinvestors", "sectors"):
        shown = fabdesk(sqlite_url, "report", kind, "--month", "2026-10")
        assert shown.returncode == 0, shown.stderr

    bad = fabdesk(sqlite_url, "close", "11-2026")
    assert bad.returncode == exit_codes.INVALID_VALUE
    assert "YYYY-MM" in bad.stderr
    early = fabdesk(sqlite_url, "close", f"{date.today().year + 1}-01")
    assert early.returncode == exit_codes.RULE_VIOLATION


def test_material_costs_and_members_from_the_command_line(sqlite_url: str) -> None:
    engine = make_engine(DatabaseSettings(url=sqlite_url))
    with Session(engine) as session:
        lab = build_lab(session)
        lab.school.code = "SCHOOL"
        session.add(lab.school)
        add_maker(session, "A2")
        session.commit()
    engine.dispose()

    def ok(*args: str) -> str:
        done = fabdesk(sqlite_url, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    site = ("--site", "cityfab1")
    ok("material", "add", "mdf3", *site, "--name", "MDF 3 mm", "--price", "4.84", "--cost", "2.50")
    assert "MDF 3 mm" in ok("material", "list")
    sold = ok("material", "sell", *site, "--item", "mdf3", "--qty", "3", "--maker", "A2",
              "--machine", "CF1-LAS-01", "--reference", "slip-1")  # fmt: skip
    assert "€14.52" in sold
    again = ok("material", "sell", *site, "--item", "mdf3", "--qty", "3", "--maker", "A2",
               "--reference", "slip-1")  # fmt: skip
    assert "Already recorded" in again
    for bad, code in (("0", exit_codes.INVALID_VALUE), ("2", exit_codes.NOT_FOUND)):
        refused = fabdesk(sqlite_url, "material", "sell", *site, "--item",
                          "mdf3" if bad == "0" else "nothing", "--qty", bad, "--cash")  # fmt: skip
        assert refused.returncode == code, refused.stderr
    assert "14.52" in ok("statement", "A2", "--month", date.today().strftime("%Y-%m"))

    ok("equipment", "costs", "set", "CF1-LAS-01", "--year", "2026", "--depreciation", "4000",
       "--maintenance", "500.00")  # fmt: skip
    assert "€4000.00" in ok("equipment", "costs", "list", "--year", "2026")
    ok("investors", "members", "add", "school", "A2")
    assert "A2" in ok("investors", "members", "list", "school")


def _one_session(sqlite_url: str) -> None:
    engine = make_engine(DatabaseSettings(url=sqlite_url))
    with Session(engine) as session:
        lab = build_lab(session)
        maker = add_maker(session, "A3")
        add_usage(session, lab.laser, maker, ended_at=at("2026-10-05 14:37"), active_seconds=600)
        session.commit()
    engine.dispose()


def test_charge_pending_takes_a_date(sqlite_url: str) -> None:
    _one_session(sqlite_url)
    before = fabdesk(sqlite_url, "charge", "pending", "--date", "2026-10-04")
    assert "Charged 0 usage sessions." in before.stdout, before.stderr
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    future = fabdesk(sqlite_url, "charge", "pending", "--date", tomorrow)
    assert future.returncode == exit_codes.INVALID_VALUE
    assert "future" in future.stderr
    after = fabdesk(sqlite_url, "charge", "pending", "--date", "2026-10-05")
    assert "Charged 1 usage session." in after.stdout, after.stderr


def test_close_and_expire_take_a_date(sqlite_url: str) -> None:
    _one_session(sqlite_url)
    early = fabdesk(sqlite_url, "close", "2026-10", "--date", "2026-10-31")
    assert early.returncode == exit_codes.RULE_VIOLATION
    closed = fabdesk(sqlite_url, "close", "2026-10", "--date", "2026-11-01")
    # The end of 1 November in Brussels (CET) is 22:59:59 UTC.
    assert "closed at 2026-11-01 22:59 UTC" in closed.stdout, closed.stderr
    late = fabdesk(sqlite_url, "cheques", "expire", "--date", "2026-10-20")
    assert late.returncode == exit_codes.CONFLICT
    assert "2026-10 is closed" in late.stderr
    assert fabdesk(sqlite_url, "cheques", "expire", "--date", "2026-11-20").returncode == 0
