"""The cadastre commands as a person runs them, on a SQLite file.

Commands run in-process through Typer's runner (a real process per command would take minutes on
this machine); errors map to exit codes as `fabdesk.cli.main` maps them. One test runs the real
process, to prove the wiring end to end.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabdesk import exit_codes
from fabdesk.cli import app
from fabdesk.errors import FabdeskError
from fabdesk.identifiers import make_asset_tag
from tests.support.cli import fabdesk as run_fabdesk

TAG = make_asset_tag("CF1", 1)


class Fabdesk:
    def __init__(self, database: Path) -> None:
        self.url = f"sqlite:///{database}"

    def __call__(self, *args: str, stdin: str = "", code: int = 0) -> str:
        runner = CliRunner()
        result = runner.invoke(
            app,
            list(args),
            input=stdin,
            env={
                "FABDESK_DATABASE__URL": self.url,
                "FABDESK_CLI__MANAGER": "BOSS",  # the manager the commands act as, by default
                "COLUMNS": "200",
            },
        )
        exit_code = result.exit_code
        text = result.output
        if isinstance(result.exception, FabdeskError):
            exit_code = exit_codes.for_error(result.exception)
            text += str(result.exception)
        elif result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert exit_code == code, text
        return text


@pytest.fixture
def fabdesk(tmp_path: Path) -> Fabdesk:
    run = Fabdesk(tmp_path / "fabdesk.db")
    run("seed")
    run("makers", "add", "BOSS", "Bea Boss", "--language", "en")
    run("managers", "set-pin", "BOSS", "--pin", "1234")
    return run


def test_register_commands(fabdesk: Fabdesk, tmp_path: Path) -> None:
    assert TAG in fabdesk("equipment", "list", "--site", "cityfab1")
    shown = fabdesk("equipment", "show", TAG.lower())
    assert "REGION 50 %, CITY 30 %, LAB 20 %" in shown
    added = fabdesk("equipment", "add", "cityfab1", "laser", "New laser", "--make", "Trotec")
    new_tag = added.split("Added ")[1].split(".")[0]
    assert new_tag == make_asset_tag("CF1", 17)
    fabdesk("equipment", "edit", new_tag, "model=Speedy 400", "acquired_on=2025-05-01")
    fabdesk("equipment", "move", new_tag, "--location", "Cave", "--reason", "space")
    fabdesk(
        "equipment",
        "status",
        new_tag,
        "lent_out",
        "-r",
        "fair",
        "--to",
        "Maker Faire",
        "--until",
        "2099-01-01",
    )
    fabdesk("equipment", "maintained", new_tag, "--notes", "lens")
    history = fabdesk("equipment", "history", new_tag)
    for word in ("created", "Speedy 400", "Cave", "lent_out", "Maker Faire", "maintenance"):
        assert word in history
    assert "Bea Boss" in history  # who, by name from the id
    assert "system" in fabdesk("equipment", "history", TAG)  # the seed's events
    assert "Bea Boss" in fabdesk("equipment", "maintenance", new_tag)
    assert "maintenance, by Bea Boss" in fabdesk("equipment", "show", new_tag)
    fabdesk("equipment", "history", new_tag, "--csv", str(tmp_path / "h.csv"))
    assert "Speedy 400" in (tmp_path / "h.csv").read_text()
    assert "wrong check character" in fabdesk(
        "equipment", "show", new_tag[:-1] + "0", code=exit_codes.INVALID_VALUE
    )
    fabdesk("equipment", "status", new_tag, "retired", "-r", "old")
    fabdesk("equipment", "status", new_tag, "in_service", "-r", "x", code=exit_codes.RULE_VIOLATION)
    assert "overdue" in fabdesk("equipment", "due")


def test_investor_commands(fabdesk: Fabdesk) -> None:
    fabdesk("investors", "add", "ACME", "Acme sa", "--enterprise-number", "0207.373.429")
    fabdesk("investors", "shares", TAG, "ACME=60", "REGION=40:100", "-r", "new deal")
    assert "ACME" in fabdesk("investors", "list")
    assert TAG in fabdesk("investors", "show", "ACME")
    out = fabdesk("investors", "shares", TAG, "ACME=60", code=exit_codes.RULE_VIOLATION)
    assert "60 %, not 100 %" in out
    assert "own funds" in fabdesk("investors", "shares", TAG)


def test_export_import_opendata_and_labels(fabdesk: Fabdesk, tmp_path: Path) -> None:
    register = tmp_path / "register.csv"
    fabdesk("export", str(register))
    lines = register.read_text().splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], lines[1].replace("cityfab1", "atlantis", 1)]) + "\n")
    for run in (fabdesk, other := Fabdesk(tmp_path / "other.db")):
        if run is other:
            other("init")
            other("seed")  # the same items: importing the file changes nothing
        run("makers", "add", "M1", "Boss", "--language", "en")
        run("managers", "set-pin", "M1", "--pin", "1234")
    out = fabdesk("import", str(bad), "--as", "M1", code=exit_codes.IMPORT_REJECTED)
    assert "nothing was imported" in out
    assert "atlantis" in out
    assert "Added 0 items, changed 0, 0 problems" in other("import", str(register), "--as", "M1")
    dry = fabdesk("import", str(bad), "--as", "M1", "--dry-run")
    assert "Nothing was written (dry run)" in dry
    assert "atlantis" in dry
    fabdesk("export", str(tmp_path / "register.xlsx"))
    assert (tmp_path / "register.xlsx").read_bytes().startswith(b"PK")
    assert "Added 0 items, changed 0" in fabdesk(
        "import", str(tmp_path / "register.xlsx"), "--as", "M1"
    )
    fabdesk("export", str(tmp_path / "register.json"))
    assert '"format": "fabdesk-register"' in (tmp_path / "register.json").read_text()
    assert "asset_tag,site" in fabdesk("opendata", "-", "--format", "csv", "--site", "cityfab2")
    fabdesk("opendata", str(tmp_path / "open.jsonld"))
    assert "schema.org" in (tmp_path / "open.jsonld").read_text()
    out = fabdesk("labels", str(tmp_path / "labels.pdf"), "--site", "cityfab3")
    assert "13/13" in out
    assert (tmp_path / "labels.pdf").read_bytes().startswith(b"%PDF")
    fabdesk("labels", str(tmp_path / "png"), "--tag", TAG, "--url", "https://fab.example.org/e/")
    assert (tmp_path / "png" / f"{TAG}.png").exists()


def test_audit_commands(fabdesk: Fabdesk, tmp_path: Path) -> None:
    assert "Audit 1 of cityfab2 is open" in fabdesk("audit", "open", "cityfab2")
    fabdesk("audit", "open", "cityfab2", code=exit_codes.CONFLICT)
    scanned = fabdesk(
        "audit", "scan", "1", stdin=f"{make_asset_tag('CF2', 1)}\n{TAG}\nnonsense\n\n"
    )
    assert "found" in scanned
    assert "misplaced" in scanned
    assert "unknown" in scanned
    assert "duplicate" in fabdesk("audit", "scan", "1", make_asset_tag("CF2", 1))
    assert "missing: 10" in fabdesk("audit", "close", "1")
    report = fabdesk(
        "audit", "report", "1", "--csv", str(tmp_path / "a.csv"), "--pdf", str(tmp_path / "a.pdf")
    )
    assert "missing" in report
    assert (tmp_path / "a.csv").read_text().count("missing") == 10
    assert "open" not in fabdesk("audit", "list").split("┃")[-1]
    due = fabdesk("audit", "due", "--site", "cityfab2")
    assert make_asset_tag("CF2", 2) in due
    assert make_asset_tag("CF2", 1) not in due


def test_a_real_process_reports_a_rejected_import_in_one_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"asset_tag,site,category,name\n{TAG},atlantis,laser,X\n")
    env = {"FABDESK_DATABASE__URL": f"sqlite:///{tmp_path / 'f.db'}"}
    assert run_fabdesk("init", env=env).returncode == 0
    assert run_fabdesk("makers", "add", "M1", "Boss", "--language", "nl", env=env).returncode == 0
    assert run_fabdesk("managers", "set-pin", "M1", "--pin", "1234", env=env).returncode == 0
    result = run_fabdesk("import", str(bad), "--as", "M1", env=env)
    assert result.returncode == exit_codes.IMPORT_REJECTED
    # The refusals in the manager's language (Dutch), with line and column.
    assert "er is geen site 'atlantis'" in result.stdout
    assert "│ 2    │ B " in result.stdout
    assert result.stderr.startswith("error: bad.csv: 2 problemen, er werd niets")


def test_maintenance_shows_next_due_hours_cost_and_history_fits_80_columns(
    fabdesk: Fabdesk,
) -> None:
    run = fabdesk
    run("equipment", "edit", TAG, "maintenance_every_days=60", "--reason", "plan")
    run("equipment", "maintained", TAG, "--cost", "120,50", "--supplier", "Trotec Belgium")
    shown = run("equipment", "show", TAG)
    assert f"next due {date.today() + timedelta(days=60)}" in shown
    assert "0.0 h of use since the last" in shown
    records = run("equipment", "maintenance", TAG)
    assert "€ 120.50" in records
    assert "Trotec Belgium" in records
    narrow = CliRunner().invoke(
        app,
        ["equipment", "history", TAG],
        env={"FABDESK_DATABASE__URL": run.url, "COLUMNS": "80"},
    )
    assert narrow.exit_code == 0, narrow.output
    assert len(re.findall(r"20\d\d-\d\d-\d\d \d\d:\d\d", narrow.output)) >= 3
    assert "…" not in narrow.output
