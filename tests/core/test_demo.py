"""`fabdesk demo` brings the whole lab up: simulated machines, drivers, server, charges."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import fabdesk


@pytest.mark.slow
def test_headless_demo_records_and_charges_every_machine(tmp_path: Path) -> None:
    result = fabdesk("demo", "--headless", "25", "--data", str(tmp_path / "demo"), timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]

    def count(label: str) -> float:
        found = re.search(rf"{label}\s*│\s*(?:€ )?([\d.]+)", result.stdout)
        assert found, result.stdout
        return float(found.group(1))

    assert count("finished sessions") >= 3, "the laser, the printer and the meter each ran a job"
    assert count("charged sessions") == count("finished sessions")
    assert count("left on DEMO-ANA's cheque") < 50, "Ana's jobs were paid from her cheque"
    log = (tmp_path / "demo" / "demo.log").read_text()
    assert "Traceback" not in log
    status = fabdesk(
        "status", env={"FABDESK_DATABASE__URL": f"sqlite:///{tmp_path / 'demo' / 'fabdesk.db'}"}
    )
    assert status.returncode == 0, status.stderr
    assert "Drivers (3 online, 0 offline after 15 min" in status.stdout
    assert "CF1-00001-R" in status.stdout
