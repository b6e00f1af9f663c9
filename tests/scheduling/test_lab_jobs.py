"""The jobs that tie the lab together: offline drivers, month close, and their idempotence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import LedgerPeriod, Maker, Notification
from fabdesk.settings import Settings
from fabdesk.usage.devices import authenticate, register_device
from fabdesk.usage.follow_up import after_ingest
from fabdesk.usage.ingest import ingest_batch
from fabdesk.wire import EventBatch, EventKind
from inventory.seed import seed
from scheduling.jobs import JobContext, machines_offline, month_close
from scheduling.notifier import OutboxNotifier
from tests.api.events import CLOCK_TOLERANCE, event, job

SEPT = datetime(2026, 9, 15, 10, 0, tzinfo=UTC)


def _context(settings: Settings, engine: Engine) -> JobContext:
    return JobContext(
        settings=settings,
        engine=engine,
        notifier=OutboxNotifier(),
        clock=lambda: SEPT,
        runner="test",
        jobs={},
    )


def _device(engine: Engine) -> str:
    with session_scope(engine) as session:
        seed(session, today=SEPT.date())
        return register_device(session, equipment_tag="CF1-00001-R", name="pi", now=SEPT).token


def test_a_silent_driver_is_reported_once(settings: Settings, engine: Engine) -> None:
    token = _device(engine)
    with write_session(engine) as session:
        batch = EventBatch(events=[event(EventKind.HEARTBEAT, SEPT)])
        ingest_batch(
            session, authenticate(session, token), batch, now=SEPT, clock_tolerance=CLOCK_TOLERANCE
        )
    context = _context(settings, engine)
    with write_session(engine) as session:
        assert machines_offline(session, context, SEPT + timedelta(minutes=5)) == 0
        assert machines_offline(session, context, SEPT + timedelta(minutes=20)) == 1
        assert machines_offline(session, context, SEPT + timedelta(minutes=25)) == 0
        message = session.exec(
            select(Notification).where(Notification.kind == "machine_offline")
        ).one()
    assert "CF1-00001-R" in message.subject
    assert message.recipient == settings.desk.managers_email


def _jobs(settings: Settings, engine: Engine, token: str, badges: list[str | None]) -> None:
    """A 20-minute job a month for each badge (None: nobody to charge), from September, each
    posted and followed up as the API does when it ends."""
    for month, badge in enumerate(badges):
        start = SEPT + timedelta(days=30 * month)
        _, events = job(start, minutes=20)
        events[0] = events[0].model_copy(update={"badge": badge})
        end = start + timedelta(minutes=21)
        with write_session(engine) as session:
            result = ingest_batch(
                session,
                authenticate(session, token),
                EventBatch(events=events),
                now=end,
                clock_tolerance=CLOCK_TOLERANCE,
            )
            after_ingest(
                session,
                result.touched_session_ids,
                result.finished_session_ids,
                now=end,
                settings=settings,
            )


def _a_badge(engine: Engine) -> str | None:
    with session_scope(engine) as session:
        return session.exec(select(Maker.badge_id).where(col(Maker.badge_id).is_not(None))).first()


def test_month_close_closes_every_ended_month_in_order(settings: Settings, engine: Engine) -> None:
    token = _device(engine)
    badge = _a_badge(engine)
    _jobs(settings, engine, token, [badge, badge])  # a job in September, one in October
    context = _context(settings, engine)
    december = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    with write_session(engine) as session:
        assert month_close(session, context, december) == 3  # September, October, November
        assert month_close(session, context, december) == 0
        months = session.exec(select(LedgerPeriod.month).order_by(LedgerPeriod.month)).all()
    assert list(months) == ["2026-09", "2026-10", "2026-11"]


def test_month_close_stops_at_a_month_whose_sessions_wait_for_a_manager(
    settings: Settings, engine: Engine
) -> None:
    token = _device(engine)
    _jobs(settings, engine, token, [_a_badge(engine), None])  # October's: nobody to charge
    context = _context(settings, engine)
    december = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    with write_session(engine) as session:
        assert month_close(session, context, december) == 1, "September; October waits"
        months = session.exec(select(LedgerPeriod.month)).all()
    assert list(months) == ["2026-09"]
