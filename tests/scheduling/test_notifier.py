"""The outbox and its delivery by SMTP (to a minimal SMTP server on 127.0.0.1), and the
warning jobs that write to it."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from fabdesk.db import session_scope
from fabdesk.models import Certification, MaintenanceWindow, Notification
from fabdesk.settings import Settings, SmtpSettings
from scheduling import jobs, notifier
from scheduling.jobs import SchedulerService, run_job
from tests.scheduling.conftest import NOW, TOMORROW, World, local


class SmtpSink:
    """Speaks just enough SMTP (RFC 5321, no TLS) to receive messages, one client at a time."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.messages: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection, connection.makefile("rwb") as stream:
                stream.write(b"220 sink ready\r\n")
                stream.flush()
                data: list[str] = []
                in_data = False
                for raw in stream:
                    line = raw.decode().rstrip("\r\n")
                    if in_data:
                        if line == ".":
                            in_data = False
                            self.messages.append("\n".join(data))
                            data = []
                            stream.write(b"250 queued\r\n")
                        else:
                            data.append(line)
                    elif line.upper().startswith("EHLO"):
                        stream.write(b"250 sink\r\n")
                    elif line.upper() == "DATA":
                        in_data = True
                        stream.write(b"354 go on\r\n")
                    elif line.upper() == "QUIT":
                        stream.write(b"221 bye\r\n")
                        stream.flush()
                        break
                    else:
                        stream.write(b"250 ok\r\n")
                    stream.flush()

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    yield server
    server.close()


def test_outbox_is_idempotent_and_smtp_delivers(world: World, sink: SmtpSink) -> None:
    with session_scope(world.engine) as session:
        for _ in range(2):
            notifier.enqueue(
                session,
                key="hello:1",
                kind="hello",
                subject="Hello",
                body="Bonjour",
                now=NOW,
                recipient="alice@example.org",
            )
    smtp = notifier.make_notifier(SmtpSettings(host="127.0.0.1", port=sink.port, starttls=False))
    assert isinstance(smtp, notifier.SmtpNotifier)
    with session_scope(world.engine) as session:
        assert notifier.deliver_pending(session, notifier.OutboxNotifier(), NOW) == 0
        assert notifier.deliver_pending(session, smtp, NOW) == 1
        assert notifier.deliver_pending(session, smtp, NOW) == 0
    assert len(sink.messages) == 1
    assert "Subject: Hello" in sink.messages[0]
    assert "Bonjour" in sink.messages[0]


def test_failed_delivery_is_kept_for_a_retry(world: World) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    smtp = notifier.SmtpNotifier(SmtpSettings(host="127.0.0.1", port=port, starttls=False))
    with session_scope(world.engine) as session:
        notifier.enqueue(
            session, key="k", kind="hello", subject="s", body="b", now=NOW, recipient="a@b.c"
        )
        assert notifier.deliver_pending(session, smtp, NOW) == 0
        message = session.exec(select(Notification)).one()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error


def test_warning_jobs(world: World, settings: Settings) -> None:
    with session_scope(world.engine) as session:
        session.add(
            Certification(
                maker_id=world.bob,
                category_id=2,
                granted_on=date(2025, 1, 1),
                expires_on=TOMORROW + timedelta(days=3),
            )
        )
    # Booked first; the maintenance window planned afterwards collides with it.
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 12))
    with session_scope(world.engine) as session:
        session.add(
            MaintenanceWindow(
                equipment_id=world.laser1,
                starts_at=local(TOMORROW, 11),
                ends_at=local(TOMORROW, 13),
                reason="Lens cleaning",
            )
        )
    service = SchedulerService(settings, world.engine, clock=lambda: NOW)
    jobs._context = service.context
    try:
        for _ in range(2):
            run_job("certification_warnings")
            run_job("maintenance_alerts")
    finally:
        jobs._context = None
    with session_scope(world.engine) as session:
        messages = session.exec(select(Notification).order_by(col(Notification.id))).all()
    assert [(m.kind, m.maker_id) for m in messages] == [
        ("certification_expiry", world.bob),
        ("maintenance_conflict", world.alice),
    ]
    assert "Lens cleaning" in messages[1].body
