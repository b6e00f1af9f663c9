"""PostgreSQL plans the booking checks once per connection, not at every booking: generic plans
(with a few hundred thousand bookings it chose custom plans, planning every call)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fabdesk.db import make_engine, write_session
from fabdesk.settings import DatabaseSettings, SchedulerSettings
from scheduling import bookings
from tests.scheduling.conftest import NOW, World, local


@pytest.mark.pg
def test_the_booking_checks_run_on_generic_plans(postgres_world: World) -> None:
    engine = make_engine(
        DatabaseSettings(
            url=str(postgres_world.engine.url.render_as_string(hide_password=False)), pool_size=1
        )
    )
    day = date(2026, 11, 25)
    try:
        for n in range(8):
            with write_session(engine) as session:
                bookings.book(
                    session,
                    maker_id=postgres_world.alice if n % 2 else postgres_world.bob,
                    equipment_id=postgres_world.laser1 if n < 4 else postgres_world.laser2,
                    starts_at=local(day, 9) + timedelta(hours=n % 4 * 2),
                    ends_at=local(day, 10) + timedelta(hours=n % 4 * 2),
                    now=NOW,
                    settings=SchedulerSettings(),
                )
        with engine.connect() as connection:
            plans = connection.exec_driver_sql(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE strpos(statement, 'FROM maintenance_windows') > 0"
            ).all()
    finally:
        engine.dispose()
    assert len(plans) == 1
    generic, custom = plans[0]
    assert custom == 0
    assert generic >= 1
