"""Every log record of the test run is kept, and the run fails if one holds personal data.

A pytest plugin (registered in tests/conftest.py): a handler on the root logger writes each
record at INFO and above, with its extra fields, to a file; at the end the file is searched for
e-mail addresses, device tokens and the badge ids of the seeded makers. Code that replaces the
root handlers (`configure_logging`, the demo) gets the handler back before the next test.
"""

from __future__ import annotations

import logging
import re
import tempfile
from datetime import date
from pathlib import Path

import pytest

from fabdesk.logs import JsonLines

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
TOKEN = re.compile(r"fdk_[A-Za-z0-9_-]{20,}")

_path = Path(tempfile.mkdtemp(prefix="fabdesk-logs-")) / "test-run.jsonl"
_handler = logging.FileHandler(_path, encoding="utf-8")
_handler.setFormatter(JsonLines())
_handler.setLevel(logging.INFO)


def _attach() -> None:
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def pytest_configure(config: pytest.Config) -> None:
    _attach()


def pytest_runtest_setup(item: pytest.Item) -> None:
    _attach()


def seeded_badges() -> set[str]:
    """The badge ids the Cityfab seed gives its makers (deterministic)."""
    from sqlmodel import Session, select

    from fabdesk.db import make_engine, upgrade
    from fabdesk.models import Maker
    from fabdesk.settings import DatabaseSettings
    from inventory.seed import seed

    folder = Path(tempfile.mkdtemp(prefix="fabdesk-badges-"))
    engine = make_engine(DatabaseSettings(url=f"sqlite:///{folder / 'seed.db'}"))
    upgrade(engine)
    with Session(engine) as session:
        seed(session, today=date(2026, 11, 24))
        badges = {b for b in session.exec(select(Maker.badge_id)) if b}
    engine.dispose()
    return badges


def leaks(text: str, badges: set[str]) -> list[str]:
    """The lines of `text` that hold an e-mail address, a device token or a seeded badge id."""
    found: list[str] = []
    for line in text.splitlines():
        if EMAIL.search(line) or TOKEN.search(line) or any(b in line for b in badges):
            found.append(line)
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _handler.flush()
    if exitstatus != 0 or not _path.exists():
        return
    found = leaks(_path.read_text(encoding="utf-8"), seeded_badges())
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_line(
                f"Personal data or secrets in the logs of this run ({len(found)} lines), e.g.:",
                red=True,
            )
            for line in found[:10]:
                reporter.write_line("  " + line[:300])
    elif reporter is not None:
        size = _path.stat().st_size
        reporter.write_line(f"Logs of the run checked for personal data: clean ({size:,} bytes).")
