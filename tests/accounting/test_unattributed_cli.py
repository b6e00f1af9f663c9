"""`fabdesk usage unattributed`, `fabdesk usage assign` and `fabdesk close --assign` (issue 15):
a month whose sessions wait for a manager refuses to close and lists them; the closing manager
assigns them and closes in one go; each is charged once."""

from __future__ import annotations

from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from fabdesk.db import make_engine
from fabdesk.errors import RuleViolation
from fabdesk.models import LedgerPeriod, UsageCharge, id_of
from fabdesk.settings import DatabaseSettings
from inventory.managers import set_pin
from tests.accounting.factories import add_maker, add_usage, at, build_lab


def cli(url: str, *args: str) -> Result:
    from fabdesk.cli import app

    return CliRunner().invoke(app, list(args), env={"FABDESK_DATABASE__URL": url, "COLUMNS": "200"})


def test_waiting_sessions_are_listed_assigned_and_let_the_month_close(sqlite_url: str) -> None:
    engine = make_engine(DatabaseSettings(url=sqlite_url))
    with Session(engine) as session:
        lab = build_lab(session)
        maker = add_maker(session, "A1")
        manager = add_maker(session, "BOSS")
        set_pin(session, manager, "4321")
        first = id_of(
            add_usage(session, lab.laser, None, ended_at=at("2026-10-05 14:37"), active_seconds=600)
        )
        second = id_of(
            add_usage(session, lab.laser, None, ended_at=at("2026-10-06 10:00"), active_seconds=900)
        )
        session.commit()
        maker_id = id_of(maker)

    listed = cli(sqlite_url, "usage", "unattributed", "--month", "2026-10")
    assert listed.exit_code == 0, listed.output
    assert "Unattributed usage sessions (2)" in listed.output

    refused = cli(sqlite_url, "close", "2026-10")
    assert isinstance(refused.exception, RuleViolation)
    assert refused.exception.code == "period_has_unattributed_sessions"
    assert f"{first}, {second}" in str(refused.exception)

    not_a_manager = cli(sqlite_url, "usage", "assign", str(first), "--maker", "A1", "--as", "A1")
    assert getattr(not_a_manager.exception, "code", None) == "not_a_manager"
    assigned = cli(sqlite_url, "usage", "assign", str(first), "--maker", "A1", "--as", "BOSS")
    assert assigned.exit_code == 0, assigned.output
    assert "charged" in assigned.output
    again = cli(sqlite_url, "usage", "assign", str(first), "--maker", "A1", "--as", "BOSS")
    assert "nothing new charged" in again.output

    closed = cli(
        sqlite_url, "close", "2026-10", "--assign", f"{second}=lab:cityfab1", "--as", "BOSS"
    )
    assert closed.exit_code == 0, closed.output
    with Session(engine) as session:
        assert session.get(LedgerPeriod, "2026-10") is not None
        charges = session.exec(select(UsageCharge)).all()
        assert sorted(c.usage_session_id for c in charges) == [first, second]
        assert [c.maker_id for c in charges if c.usage_session_id == first] == [maker_id]
    engine.dispose()
