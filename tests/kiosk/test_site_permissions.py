"""Managers across sites: a site's manager manages that site only; a network admin, all of them;
nobody reaches the manager screens without a PIN."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from fabdesk.db import Engine, session_scope
from fabdesk.errors import AccessDenied, InvalidValue
from inventory.makers import get_maker
from inventory.managers import log_in, set_pin
from inventory.seed import seed

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _login(engine: Engine, member: str, pin: str, site: str) -> None:
    with session_scope(engine) as session:
        outcome = log_in(session, member, pin, now=NOW, site_code=site)
    outcome.raise_for_refusal()


def test_a_sites_manager_manages_that_site_only(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed(session, today=date(2026, 11, 24))
        set_pin(session, get_maker(session, "M00001"), "2468", site_code="cityfab2")
        set_pin(session, get_maker(session, "M00002"), "1357")
    _login(engine, "M00001", "2468", "cityfab2")
    with pytest.raises(AccessDenied, match="Cityfab2 Evere only") as refused:
        _login(engine, "M00001", "2468", "cityfab1")
    assert refused.value.code == "manager_other_site"
    for site in ("cityfab1", "cityfab2", "cityfab3"):  # the network admin manages them all
        _login(engine, "M00002", "1357", site)
    with pytest.raises(InvalidValue, match="Wrong PIN"):  # a badge alone is never enough
        _login(engine, "M00002", "", "cityfab1")
