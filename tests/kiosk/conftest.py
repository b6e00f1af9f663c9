"""The kiosk's test ground: a seeded Cityfab network, known badges, a manager, a settable clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from fabdesk.accounting.charges import post_usage_charge
from fabdesk.accounting.pricing import PriceRules
from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import Maker, id_of
from fabdesk.settings import KioskSettings, SchedulerSettings, Settings
from fabdesk.usage.attribution import attribute_sessions
from fabdesk.usage.devices import authenticate, register_device
from fabdesk.usage.ingest import ingest_batch
from fabdesk.wire import EventBatch, EventKind, Outcome
from inventory.lookups import get_item
from inventory.makers import NewMaker, certify, register_maker
from inventory.managers import set_pin
from inventory.seed import seed
from inventory.trainings import enrol, grant_trainer, schedule_training
from kiosk.app import KioskApp
from scheduling.bookings import book
from tests.api.events import CLOCK_TOLERANCE, event

TODAY = date(2026, 11, 24)
"""A Tuesday: Cityfab1 is open 10:00-18:00 (Brussels)."""
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
"""10:00 in Brussels on TODAY."""
SIZE = (110, 36)
"""The terminal size of every kiosk test."""
MANAGER_PIN = "4321"


class Ticker:
    """A monotonic clock the test moves by hand (for the idle time-out)."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@dataclass(frozen=True)
class Lab:
    """What the seed gave: makers to scan, by language, and a manager."""

    fr_maker: Maker
    nl_maker: Maker
    en_maker: Maker
    manager: Maker
    novice: Maker
    """A Dutch-speaking maker with no training at all (badge NOVICE0001)."""


def _first(session: Session, language: str, skip: int = 0) -> Maker:
    makers = session.exec(
        select(Maker).where(Maker.language == language).order_by(Maker.member_number)
    ).all()
    return makers[skip]


def seed_lab(engine: Engine) -> Lab:
    with session_scope(engine) as session:
        seed(session, today=TODAY)
        manager = _first(session, "en", skip=1)
        set_pin(session, manager, MANAGER_PIN, salt=b"fixed-salt-16byt")
        novice = register_maker(
            session, NewMaker("M09999", "Noor Novice", language="nl", badge_id="NOVICE0001")
        )
        trained = [_first(session, "fr"), _first(session, "nl"), _first(session, "en")]
        for maker in trained:  # everyone but the novice may use the lasers and the printers
            for category in ("laser", "fdm"):
                certify(session, maker, category, granted_on=TODAY - timedelta(days=1))
        return Lab(trained[0], trained[1], trained[2], manager, novice)


@pytest.fixture
def lab(engine: Engine) -> Lab:
    return seed_lab(engine)


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


def kiosk_settings(settings: Settings, **kiosk: object) -> Settings:
    values = {"site": "cityfab1", "language": "fr", "idle_seconds": 60, **kiosk}
    return settings.model_copy(update={"kiosk": KioskSettings.model_validate(values)})


@pytest.fixture
def make_app(settings: Settings, engine: Engine, ticker: Ticker) -> Callable[..., KioskApp]:
    """A factory of kiosks on the test database with a fixed clock (NOW unless `now` is given)
    and the ticker."""

    def build(now: datetime = NOW, **kiosk: object) -> KioskApp:
        return KioskApp.of(
            kiosk_settings(settings, **kiosk),
            connect=lambda: engine,
            clock=lambda: now,
            monotonic=ticker,
        )

    return build


def charged_job(engine: Engine, maker: Maker, tag: str, hour: int, *, minutes: int = 30) -> int:
    """`maker` books machine `tag` from `hour` o'clock (Brussels, TODAY) for an hour, and its
    driver reports a job of `minutes` there, charged: the real path (booking, device, ingest,
    usage as check-in, charge). Returns the usage session's id."""
    start = datetime(2026, 11, 24, hour - 1, 0, tzinfo=UTC)
    end = start + timedelta(minutes=minutes)
    run = uuid.uuid4()
    events = [
        event(EventKind.SESSION_STARTED, start, run, job_name="part.svg"),
        event(
            EventKind.SESSION_ENDED, end, run, active_seconds=minutes * 60.0, outcome=Outcome.DONE
        ),
    ]
    with write_session(engine) as session:
        item = get_item(session, tag)
        book(
            session,
            maker_id=id_of(maker),
            equipment_id=id_of(item),
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            now=start - timedelta(hours=2),
            settings=SchedulerSettings(),
        )
        token = register_device(session, equipment_tag=tag, name=f"{tag} {run}", now=start).token
        device = authenticate(session, token)
        result = ingest_batch(
            session, device, EventBatch(events=events), now=end, clock_tolerance=CLOCK_TOLERANCE
        )
        attribute_sessions(
            session, result.touched_session_ids, now=end, settings=SchedulerSettings()
        )
        usage_id = result.touched_session_ids[0]
        post_usage_charge(session, usage_id, now=end, rules=PriceRules.default())
        return usage_id


def plan_training(engine: Engine, lab: Lab, *, trainer: bool = True) -> None:
    """A laser training at Cityfab1 yesterday, given by the manager (a trainer of the lasers
    unless `trainer` is False), with the novice enrolled: all through the services."""
    yesterday = NOW - timedelta(days=1)
    with session_scope(engine) as session:
        trainer_id = id_of(lab.en_maker)
        if trainer:
            grant_trainer(session, maker_id=id_of(lab.manager), category_code="laser")
            trainer_id = id_of(lab.manager)
        else:
            grant_trainer(session, maker_id=trainer_id, category_code="laser")
        training = schedule_training(
            session,
            category_code="laser",
            site_code="cityfab1",
            trainer_id=trainer_id,
            starts_at=yesterday,
            ends_at=yesterday + timedelta(hours=2),
            min_participants=1,
            max_participants=6,
            now=yesterday - timedelta(days=2),
        )
        enrol(session, training_id=id_of(training), maker_id=id_of(lab.novice),
              now=yesterday - timedelta(days=1))  # fmt: skip
