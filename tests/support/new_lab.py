"""A new lab set up by commands only (no seed), for the tests that book in it: `fabdesk …` run
in this process (typer's runner), as a manager's shell would run it."""

from __future__ import annotations

from datetime import date, timedelta

from typer.testing import CliRunner, Result

from fabdesk.cli import app as cli_app


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(
        cli_app, list(args), env={"FABDESK_DATABASE__URL": url, "COLUMNS": "200"}
    )


def ok(url: str, *args: str) -> str:
    result = run(url, *args)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def refused(url: str, *args: str) -> str:
    """The one-line refusal of a command (as `fabdesk` prints it on stderr)."""
    result = run(url, *args)
    assert result.exit_code != 0, (args, result.output)
    return str(result.exception)


def set_up_lab(url: str, today: date) -> None:
    """Everything a new lab needs, by commands."""
    ok(url, "sites", "add", "newlab", "New Lab", "--address", "Rue Haute 1, 1000 Bruxelles")
    ok(url, "categories", "add", "laser", "--en", "Laser cutter", "--fr", "Découpeuse laser",
       "--nl", "Lasersnijder")  # fmt: skip
    ok(url, "categories", "add", "fdm", "--en", "3D printer", "--fr", "Imprimante 3D",
       "--nl", "3D-printer", "--no-training")  # fmt: skip
    ok(url, "hours", "set", "newlab", "mon-sun", "00:00-24:00")
    for year in (today.year, today.year + 1):
        ok(url, "holidays", "add", "newlab", "--year", str(year), "--region", "brussels")
    for day in (today, today + timedelta(days=1)):
        ok(url, "holidays", "open", "newlab", day.isoformat())
    ok(url, "makers", "add", "M-0", "Lea Example", "--language", "en")
    ok(url, "managers", "set-pin", "M-0", "--pin", "2468", "--site", "newlab")
    for name in ("Laser 1", "Laser 2", "Laser 3"):
        ok(url, "equipment", "add", "newlab", "laser", name, "--as", "M-0")
    ok(url, "makers", "add", "M-1", "Ana Example", "--badge", "BADGE-ANA", "--language", "en",
       "--tier", "student", "--sector", "creative")  # fmt: skip
    ok(url, "makers", "add", "M-2", "Bo Example", "--badge", "BADGE-BO", "--language", "en",
       "--tier", "nonprofit")  # fmt: skip
    ok(url, "makers", "edit", "M-2", "--sector", "health")
    for member in ("M-1", "M-2"):
        ok(url, "makers", "certify", member, "laser")
    ok(url, "policy", "set", "--category", "laser", "--max-length", "60", "--buffer", "30",
       "--cancel-cutoff", "30", "--days-ahead", "400")  # fmt: skip


def tag_of(url: str, name: str) -> str:
    listed = ok(url, "equipment", "list", "--site", "newlab")
    line = next(line for line in listed.splitlines() if name in line)
    return next(word for word in line.replace("│", " ").split() if word.startswith("NEWLAB-"))
