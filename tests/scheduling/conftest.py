"""A small world for the booking tests, on each database: two sites, four machines, three makers.

Makers are registered and certified through inventory's services; sites and machines are rows
(the cadastre's services for them are being written in parallel).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fabdesk.db import Engine, make_engine, session_scope, write_session
from fabdesk.models import Booking, Equipment, EquipmentCategory, OpeningHours, Site, id_of
from fabdesk.settings import DatabaseSettings, SchedulerSettings
from inventory.makers import NewMaker, certify, register_maker
from scheduling import bookings

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
"""Monday 23 November 2026, 09:00 in Brussels."""


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Brussels wall-clock time as an aware instant."""
    return datetime.combine(day, time(hour, minute), BRUSSELS)


@dataclass
class World:
    engine: Engine
    settings: SchedulerSettings
    laser1: int
    laser2: int
    printer: int
    laser_b: int
    alice: int
    bob: int
    carol: int
    """Carol has no laser certification."""

    def book(
        self,
        maker: int,
        machine: int,
        starts_at: datetime,
        ends_at: datetime,
        now: datetime = NOW,
    ) -> Booking:
        with write_session(self.engine) as session:
            return bookings.book(
                session,
                maker_id=maker,
                equipment_id=machine,
                starts_at=starts_at,
                ends_at=ends_at,
                now=now,
                settings=self.settings,
            )


def build_world(engine: Engine, settings: SchedulerSettings | None = None) -> World:
    with session_scope(engine) as session:
        laser = EquipmentCategory(
            code="laser", name_en="Laser cutter", name_fr="Laser", name_nl="Laser"
        )
        fdm = EquipmentCategory(code="fdm", name_en="FDM printer", name_fr="FDM", name_nl="FDM")
        a = Site(code="lab-a", name="Lab A")
        b = Site(code="lab-b", name="Lab B")
        session.add_all([laser, fdm, a, b])
        session.flush()
        for weekday in range(0, 6):
            session.add(
                OpeningHours(site_id=id_of(a), weekday=weekday, opens=time(9), closes=time(21))
            )
        for weekday in range(1, 6):
            session.add(
                OpeningHours(site_id=id_of(b), weekday=weekday, opens=time(10), closes=time(18))
            )
        machines = [
            Equipment(
                asset_tag="A-00001-O", site_id=id_of(a), category_id=id_of(laser), name="Laser 1"
            ),
            Equipment(
                asset_tag="A-00002-M", site_id=id_of(a), category_id=id_of(laser), name="Laser 2"
            ),
            Equipment(
                asset_tag="A-00003-K", site_id=id_of(a), category_id=id_of(fdm), name="Printer 1"
            ),
            Equipment(
                asset_tag="B-00001-N", site_id=id_of(b), category_id=id_of(laser), name="Laser B"
            ),
        ]
        session.add_all(machines)
        session.flush()
        makers = []
        for number, name in [("M-1", "Alice"), ("M-2", "Bob"), ("M-3", "Carol")]:
            maker = register_maker(
                session, NewMaker(number, name, email=f"{name.lower()}@example.org")
            )
            makers.append(maker)
            certify(session, maker, "fdm", granted_on=date(2026, 1, 1))
        for maker in makers[:2]:
            certify(session, maker, "laser", granted_on=date(2026, 1, 1))
    return World(
        engine=engine,
        settings=settings or SchedulerSettings(),
        laser1=id_of(machines[0]),
        laser2=id_of(machines[1]),
        printer=id_of(machines[2]),
        laser_b=id_of(machines[3]),
        alice=id_of(makers[0]),
        bob=id_of(makers[1]),
        carol=id_of(makers[2]),
    )


@pytest.fixture
def world(engine: Engine) -> World:
    return build_world(engine)


TOMORROW = date(2026, 11, 24)
HOUR = timedelta(hours=1)


def _world_on(url: str) -> Iterator[World]:
    engine = make_engine(DatabaseSettings(url=url))
    yield build_world(engine)
    engine.dispose()


@pytest.fixture
def sqlite_world(sqlite_url: str) -> Iterator[World]:
    """The world on SQLite only, for what only SQLite does."""
    yield from _world_on(sqlite_url)


@pytest.fixture
def postgres_world(postgres_url: str) -> Iterator[World]:
    """The world on PostgreSQL only, for what only PostgreSQL does."""
    yield from _world_on(postgres_url)
