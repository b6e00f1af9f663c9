"""At the kiosk: a maker hands a running booking over to another maker, who scans their badge to
accept it (refusals in the giver's language); a manager releases a machine checked after use.

Every flow runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import BookingState, EquipmentStatus, Maker, id_of
from fabdesk.settings import SchedulerSettings
from inventory.checks import mark_used, set_check_after_use
from inventory.lookups import get_item
from kiosk.screens.board import BoardScreen
from kiosk.screens.handover import HandOverScreen
from kiosk.screens.machines import MachinesScreen
from scheduling.bookings import bookings_of, walk_in
from tests.kiosk.conftest import NOW, SIZE, Lab
from tests.kiosk.pilot import MakeApp, kinds, manager_home, open_board, scan, screen_text, settle

LASER = "CF1-00001-R"
LATER = NOW + timedelta(minutes=30)
"""10:30 in Brussels: the walk-in started at 10:00 is running."""


def _walk_in(engine: Engine, maker: Maker) -> int:
    with write_session(engine) as session:
        booking = walk_in(
            session,
            maker_id=id_of(maker),
            equipment_id=id_of(get_item(session, LASER)),
            length=timedelta(hours=2),
            now=NOW,
            settings=SchedulerSettings(),
        )
        return id_of(booking)


async def _hand_over_screen(pilot: Pilot[None], badge: str) -> HandOverScreen:
    await open_board(pilot, badge)
    await pilot.press("h")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HandOverScreen)
    return screen


async def test_a_running_booking_is_handed_over_when_the_receiver_scans(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    given = _walk_in(engine, lab.en_maker)
    app = make_app(now=LATER, language="en")
    async with app.run_test(size=SIZE) as pilot:
        await _hand_over_screen(pilot, lab.en_maker.badge_id or "")
        assert "Trotec Speedy 360 #1 until 12:00" in screen_text(app)
        await scan(pilot, lab.nl_maker.badge_id or "")
        assert isinstance(app.screen, BoardScreen), screen_text(app)
        assert f"Handed over to {lab.nl_maker.name}." in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        [taken] = bookings_of(session, id_of(lab.nl_maker), states=[BookingState.CHECKED_IN])
        [first] = bookings_of(session, id_of(lab.en_maker))
    assert (first.id, first.state, first.ends_at) == (given, BookingState.COMPLETED, LATER)
    assert (taken.handover_of, taken.starts_at) == (given, LATER)


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("fr", "Le membre qui reprend doit avoir une certification Découpeuse laser CO2 valide"),
        ("nl", "Het lid dat overneemt heeft een geldige certificering CO2-lasersnijder nodig"),
    ],
)
async def test_an_untrained_receiver_is_refused_in_the_givers_language(
    lab: Lab, make_app: MakeApp, engine: Engine, language: str, sentence: str
) -> None:
    giver = lab.fr_maker if language == "fr" else lab.nl_maker
    _walk_in(engine, giver)
    app = make_app(now=LATER, language="en")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _hand_over_screen(pilot, giver.badge_id or "")
        await scan(pilot, lab.novice.badge_id or "")
        assert app.screen is screen
        assert sentence in screen_text(app)
        assert app.incidents == []
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)


async def test_nothing_to_hand_over_without_a_running_booking(lab: Lab, make_app: MakeApp) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await _hand_over_screen(pilot, lab.en_maker.badge_id or "")
        assert "You have no running booking to hand over." in screen_text(app)
        await scan(pilot, lab.nl_maker.badge_id or "")  # ignored
        assert isinstance(app.screen, HandOverScreen)
        assert app.incidents == []


async def test_a_manager_releases_a_machine_checked_after_use(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    with session_scope(engine) as session:
        set_check_after_use(session, LASER, True, actor=None, now=NOW)
        mark_used(session, [id_of(get_item(session, LASER))], cause="test", now=NOW)
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        assert set(kinds(board, "Trotec Speedy 360 #1")) == {"out_of_order"}
        await pilot.press("escape")
        await manager_home(pilot, lab)
        assert "To check" in str(app.screen.query_one("#machines", DataTable).get_row_at(0))
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MachinesScreen)
        await pilot.press("f9")
        await settle(pilot)
        assert "Trotec Speedy 360 #1 is checked and back in service." in screen_text(app)
        await pilot.press("f9")  # not waiting any more
        await settle(pilot)
        assert "Trotec Speedy 360 #1 is not waiting for a check (in_service)." in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        assert get_item(session, LASER).status is EquipmentStatus.IN_SERVICE
