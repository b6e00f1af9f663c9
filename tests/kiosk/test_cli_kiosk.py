"""`fabdesk kiosk` refuses an unknown site in one line; `fabdesk managers` sets and revokes PINs."""

from __future__ import annotations

from pathlib import Path

from fabdesk import exit_codes
from fabdesk.db import make_engine, session_scope
from fabdesk.settings import DatabaseSettings
from inventory.makers import get_maker
from inventory.managers import is_manager
from tests.support.cli import fabdesk


def test_an_unknown_site_is_one_line(tmp_path: Path) -> None:
    env = {"FABDESK_DATABASE__URL": f"sqlite:///{tmp_path / 'f.db'}"}
    assert fabdesk("init", env=env).returncode == 0
    result = fabdesk("kiosk", "--site", "nowhere", env=env)
    assert result.returncode == exit_codes.NOT_FOUND
    assert result.stderr.strip() == "error: There is no site 'nowhere'."


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
