"""The world of the booking tests, plus machines that cost money and a driver reporting jobs.

Usage goes through the real path: a device token, `ingest_batch`, `attribute_sessions` (usage as
check-in), then `post_usage_charge`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner, Result

from fabdesk.accounting.charges import post_usage_charge
from fabdesk.accounting.pricing import PriceRules
from fabdesk.actors import Actor, actor_for
from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import Equipment, Maker, UsageCharge, UsageSession
from fabdesk.settings import SchedulerSettings, Settings
from fabdesk.usage.attribution import attribute_sessions
from fabdesk.usage.devices import authenticate, register_device
from fabdesk.usage.follow_up import after_ingest
from fabdesk.usage.ingest import ingest_batch
from fabdesk.wire import EventBatch, EventKind, Outcome
from tests.api.events import CLOCK_TOLERANCE, event
from tests.scheduling.conftest import NOW, World, build_world

LASER_RATE = 3000
"""Cents per hour of the lasers of the world (30 euros)."""


@pytest.fixture
def world(engine: Engine) -> World:
    built = build_world(engine)
    with session_scope(engine) as session:
        for machine in (built.laser1, built.laser2, built.laser_b):
            item = session.get(Equipment, machine)
            assert item is not None
            item.rate_cents_per_hour = LASER_RATE
            session.add(item)
    return built


_tokens: dict[tuple[str, str], str] = {}


def run_job(
    world: World,
    tag: str,
    start: datetime,
    *,
    minutes: int = 10,
    active_minutes: float | None = None,
    charge: bool = True,
    settings: Settings | None = None,
    badge: str | None = None,
) -> UsageSession:
    """The driver of machine `tag` reports one job, nobody touches the kiosk; it is charged
    (if someone pays: the `badge` read at the machine, or the booking it ran in).

    With `settings`, the batch is followed up as the API does (`after_ingest`: attached, charged,
    the machine sent to be checked if it must be)."""
    session_id = uuid.uuid4()
    end = start + timedelta(minutes=minutes)
    active = (minutes if active_minutes is None else active_minutes) * 60.0
    events = [
        event(EventKind.SESSION_STARTED, start, session_id, job_name="box.svg").model_copy(
            update={"badge": badge}
        ),
        event(
            EventKind.SESSION_ENDED, end, session_id, active_seconds=active, outcome=Outcome.DONE
        ),
    ]
    key = (str(world.engine.url), tag)
    with write_session(world.engine) as session:
        if key not in _tokens:
            _tokens[key] = register_device(session, equipment_tag=tag, name=tag, now=NOW).token
        device = authenticate(session, _tokens[key])
        result = ingest_batch(
            session, device, EventBatch(events=events), now=end, clock_tolerance=CLOCK_TOLERANCE
        )
        touched, finished = result.touched_session_ids, result.finished_session_ids
        if settings is not None:
            after_ingest(session, touched, finished, now=end, settings=settings)
        else:
            attribute_sessions(session, touched, now=end, settings=SchedulerSettings())
        usage = session.exec(select(UsageSession).where(UsageSession.id == touched[0])).one()
        if charge and settings is None and usage.attributed:  # nobody else is ever charged
            post_usage_charge(session, usage.id or 0, now=end, rules=PriceRules.default())
        return usage


def charge_of(world: World, usage: UsageSession) -> UsageCharge:
    with session_scope(world.engine) as session:
        return session.exec(
            select(UsageCharge).where(UsageCharge.usage_session_id == usage.id)
        ).one()


def cli(url: str, *args: str) -> Result:
    """`fabdesk …` run in this process (fast); a refusal is left in `result.exception`.

    The real process, with its one-line errors, is tested by `test_reconcile`'s CLI test."""
    from fabdesk.cli import app

    return CliRunner().invoke(app, list(args), env={"FABDESK_DATABASE__URL": url, "COLUMNS": "200"})


def make_manager(world: World, maker_id: int, site: str | None = None) -> Actor:
    """`maker_id` made a manager (of `site`; without one, a network admin), acting from the CLI."""
    from inventory.managers import set_pin

    with session_scope(world.engine) as session:
        maker = session.get(Maker, maker_id)
        assert maker is not None
        set_pin(session, maker, "2468", site_code=site, salt=b"0" * 16)
        return actor_for(session, maker_id, "cli")


@pytest.fixture
def admin(world: World) -> Actor:
    """Carol (M-3), a network admin."""
    return make_manager(world, world.carol)
