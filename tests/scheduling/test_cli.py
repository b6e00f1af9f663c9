"""`fabdesk book`, `bookings`, `availability` as a person runs them (real processes, SQLite)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fabdesk import exit_codes
from tests.support.cli import fabdesk


def _next(weekday: int) -> date:
    today = date.today()
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def test_book_refuse_list_and_cancel(tmp_path: Path) -> None:
    env = {"FABDESK_DATABASE__URL": f"sqlite:///{tmp_path / 'f.db'}"}
    assert fabdesk("seed", env=env).returncode == 0
    assert fabdesk("makers", "add", "T1", "Test Maker", env=env).returncode == 0
    assert fabdesk("makers", "certify", "T1", "laser", env=env).returncode == 0
    tuesday = _next(1).isoformat()
    booked = fabdesk("book", "T1", "CF1-00001-R", f"{tuesday} 14:00", "--length", "2h", env=env)
    assert booked.returncode == 0, booked.stderr
    assert "14:00" in booked.stdout
    refused = fabdesk("book", "T1", "cf1-00001-r", f"{tuesday} 15:00", env=env)
    assert refused.returncode == exit_codes.RULE_VIOLATION
    assert refused.stderr.startswith("error: Trotec Speedy 360 #1 is already booked from")
    assert "Traceback" not in refused.stderr
    board = fabdesk("availability", "cityfab1", "--day", tuesday, env=env)
    assert "14:00-16:00 booking" in board.stdout
    listed = fabdesk("bookings", "list", "--maker", "T1", "--days", "8", env=env)
    assert "CF1-00001-R" in listed.stdout
    assert fabdesk("bookings", "cancel", "1", env=env).returncode == 0
    again = fabdesk("bookings", "cancel", "1", env=env)
    assert again.returncode == exit_codes.RULE_VIOLATION
    assert "cancelled" in again.stderr
    slot = fabdesk("availability", "--category", "laser", "--length", "2h", env=env)
    assert slot.stdout.startswith("Next free laser slot")
