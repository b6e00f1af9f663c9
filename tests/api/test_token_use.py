"""A manager's request while another program writes: noting the token's last use never turns the
request's read into a write (SQLite refuses at once a read transaction that would write after
another writer committed: a driver's ingest made the manager's request a 503)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import col, select

from fabdesk.api.app import create_app
from fabdesk.db import Engine, session_scope
from fabdesk.models import Maker, MakerToken, ManagerToken, id_of
from fabdesk.settings import Settings
from inventory import maker_tokens
from inventory.manager_tokens import authenticate_manager
from inventory.token_use import TokenTable, note_used
from tests.api.conftest import ADMIN, issue_manager_token, serving


def _age(engine: Engine) -> None:
    """Every manager token last used long ago: the next request notes its use."""
    with session_scope(engine) as session:
        for row in session.exec(select(ManagerToken)):
            row.last_used_at = datetime.now(UTC) - timedelta(hours=1)
            session.add(row)


def test_authenticating_only_reads(api_engine: Engine) -> None:
    token = issue_manager_token(api_engine, ADMIN)
    _age(api_engine)
    with session_scope(api_engine) as session:
        manager = authenticate_manager(session, token, now=datetime.now(UTC))
        assert not session.new
        assert not session.dirty, "authenticating wrote"
    assert manager.used_long_ago
    assert manager.actor.manager_id is not None


def test_a_manager_request_waits_for_a_writer_then_answers(
    api_engine: Engine, live_url: str
) -> None:
    """On SQLite the request's read of its token runs beside the writer and its note of the
    use waits for the lock; on PostgreSQL nothing waits (other rows), and the answer is the same."""
    token = issue_manager_token(api_engine, ADMIN)
    _age(api_engine)
    answers: list[httpx.Response] = []

    def ask() -> None:
        with httpx.Client(base_url=live_url, timeout=30) as api:
            answers.append(
                api.get("/api/v1/usage/unattributed", headers={"Authorization": f"Bearer {token}"})
            )

    writing = api_engine.execution_options(fabdesk_write=True)  # BEGIN IMMEDIATE on SQLite
    with writing.connect() as writer, writer.begin():  # another program (an ingest) writes
        writer.execute(text("UPDATE sites SET address = address"))
        asking = threading.Thread(target=ask)
        asking.start()
        time.sleep(0.5)  # the request has read its token, and waits to note its use
    asking.join(30)
    (answer,) = answers
    assert answer.status_code == 200, answer.text


START = datetime(2026, 11, 5, 13, 0, tzinfo=UTC)


def _token_of(engine: Engine, table: TokenTable) -> tuple[int, str, str]:
    """A new token in `table`: its id, the token, and a path it may ask."""
    if table is ManagerToken:
        token = issue_manager_token(engine, ADMIN)
        with session_scope(engine) as session:
            row = session.exec(select(ManagerToken).order_by(col(ManagerToken.id).desc())).first()
            assert row is not None
            return id_of(row), token, "/api/v1/usage/unattributed"
    with session_scope(engine) as session:
        maker = session.exec(select(Maker).where(Maker.member_number == "M00001")).one()
        issued = maker_tokens.issue_token(session, id_of(maker), label="test", now=START)
        return issued.token_id, issued.token, "/api/v1/me"


@pytest.mark.parametrize("table", [MakerToken, ManagerToken], ids=["maker", "manager"])
def test_a_tokens_use_is_noted_at_most_once_a_minute(
    api_settings: Settings, api_engine: Engine, table: TokenTable
) -> None:
    """Makers' and managers' tokens share one rule and one writer (`inventory.token_use`)."""
    token_id, token, path = _token_of(api_engine, table)
    clock = [START]
    app = create_app(api_settings, api_engine, clock=lambda: clock[0])

    def last_used() -> datetime | None:
        with session_scope(api_engine) as session:
            return session.exec(select(table.last_used_at).where(table.id == token_id)).one()

    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as api:
        for moment, noted in [
            (START, START),
            (START + timedelta(seconds=59), START),
            (START + timedelta(seconds=61), START + timedelta(seconds=61)),
        ]:
            clock[0] = moment
            answer = api.get(path, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
            assert last_used() == noted


def test_note_used_writes_either_kind_of_token(api_engine: Engine) -> None:
    manager_id, _, _ = _token_of(api_engine, ManagerToken)
    maker_id, _, _ = _token_of(api_engine, MakerToken)
    with session_scope(api_engine) as session:
        note_used(session, ManagerToken, manager_id, now=START)
        note_used(session, MakerToken, maker_id, now=START)
        note_used(session, MakerToken, 999_999, now=START)  # gone since: nothing to note
    with session_scope(api_engine) as session:
        rows = [session.get(ManagerToken, manager_id), session.get(MakerToken, maker_id)]
        assert [row.last_used_at if row else None for row in rows] == [START, START]
