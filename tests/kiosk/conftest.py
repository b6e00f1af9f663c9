"""The kiosk's test ground: a seeded Cityfab network, known badges, a manager, a settable clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from fabdesk.db import Engine, session_scope
from fabdesk.models import Maker
from fabdesk.settings import KioskSettings, Settings
from inventory.makers import NewMaker, certify, register_maker
from inventory.managers import set_pin
from inventory.seed import seed
from kiosk.app import KioskApp

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
        return KioskApp(
            settings=kiosk_settings(settings, **kiosk),
            engine=engine,
            clock=lambda: now,
            monotonic=ticker,
        )

    return build
