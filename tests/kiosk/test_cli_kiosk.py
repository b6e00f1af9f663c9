"""`fabdesk kiosk` refuses an unknown site in one line; `fabdesk managers` sets and revokes PINs."""

from __future__ import annotations

import re
from pathlib import Path

from fabdesk import exit_codes
from fabdesk.db import make_engine, session_scope
from fabdesk.settings import DatabaseSettings
from inventory.makers import get_maker
from inventory.managers import is_manager
from tests.support.cli import fabdesk

LEAVE_SCREEN = "\x1b[?1049l"
"""What a Textual app writes as it closes: back from its alternate screen to the terminal's own."""
ESCAPE = re.compile(r"\x1b\[[0-9;?<>]*[A-Za-z]")


def test_an_unknown_site_is_one_line(tmp_path: Path) -> None:
    """The kiosk draws Welcome before it connects (a fast start), finds the site missing, closes
    and leaves one line on the terminal."""
    env = {"FABDESK_DATABASE__URL": f"sqlite:///{tmp_path / 'f.db'}"}
    assert fabdesk("init", env=env).returncode == 0
    result = fabdesk("kiosk", "--site", "nowhere", env=env)
    assert result.returncode == exit_codes.NOT_FOUND
    assert LEAVE_SCREEN in result.stderr, "the kiosk did not start"
    left = ESCAPE.sub("", result.stderr.rsplit(LEAVE_SCREEN, 1)[1])
    assert left.strip() == "error: There is no site 'nowhere'."


def test_managers_get_a_pin_and_lose_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'f.db'}"
    env = {"FABDESK_DATABASE__URL": url}
    assert fabdesk("seed", env=env).returncode == 0
    assert fabdesk("managers", "set-pin", "M00003", "--pin", "12", env=env).returncode == (
        exit_codes.INVALID_VALUE
    )
    result = fabdesk("managers", "set-pin", "M00003", "--pin", "2468", env=env)
    assert result.returncode == 0, result.stderr
    engine = make_engine(DatabaseSettings(url=url))
    with session_scope(engine) as session:
        assert is_manager(session, get_maker(session, "M00003"))
    assert fabdesk("managers", "revoke", "M00003", env=env).returncode == 0
    with session_scope(engine) as session:
        assert not is_manager(session, get_maker(session, "M00003"))
    engine.dispose()
