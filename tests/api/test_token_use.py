"""A manager's request while another program writes: noting the token's last use never turns the
request's read into a write (SQLite refuses at once a read transaction that would write after
another writer committed: a driver's ingest made the manager's request a 503)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlmodel import select

from fabdesk.db import Engine, session_scope
from fabdesk.models import ManagerToken
from inventory.manager_tokens import authenticate_manager
from tests.api.conftest import ADMIN, issue_manager_token


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
