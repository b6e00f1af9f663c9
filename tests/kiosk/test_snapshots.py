"""Snapshots of the main screens (SVG beside this file, in __snapshots__/), on SQLite only:
the picture does not depend on the database. Update with `pytest --snapshot-update` after looking
at the difference report."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from fabdesk.accounting.disputes import open_dispute
from fabdesk.accounting.statements import recent_charges
from fabdesk.db import Engine, session_scope
from fabdesk.models import id_of
from tests.kiosk.conftest import MANAGER_PIN, NOW, SIZE, Lab, charged_job, plan_training
from tests.kiosk.pilot import MakeApp, scan, settle

SnapCompare = Callable[..., bool]


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def test_welcome_in_french(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=settle)


def test_welcome_in_dutch_after_an_unknown_badge(
    lab: Lab, make_app: MakeApp, snap_compare: SnapCompare
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await scan(pilot, "0000BADBADGE")

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_board_of_a_maker(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.en_maker.badge_id or "")

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_manager_login_with_a_wrong_pin(
    lab: Lab, make_app: MakeApp, snap_compare: SnapCompare
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await scan(pilot, lab.manager.badge_id or "")
        await pilot.press(*reversed(MANAGER_PIN), "enter")
        await settle(pilot)

    assert snap_compare(make_app(language="en"), terminal_size=SIZE, run_before=run_before)


def test_book_screen_with_a_refusal(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    """A novice is refused a laser: the refusal, with the next trainings for it (guidance)."""
    from textual.coordinate import Coordinate

    from kiosk.widgets.board_grid import BoardGrid

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.novice.badge_id or "")
        grid = pilot.app.screen.query_one("#grid", BoardGrid)
        grid.cursor_coordinate = Coordinate(8, 3)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("3", "enter")
        await settle(pilot)

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_me_screen(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    from textual.coordinate import Coordinate

    from kiosk.widgets.board_grid import BoardGrid

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.fr_maker.badge_id or "")
        grid = pilot.app.screen.query_one("#grid", BoardGrid)
        grid.cursor_coordinate = Coordinate(4, 2)  # Prusa MK4 #1 at 11h
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_me_screen_with_usage_and_charges(
    lab: Lab, make_app: MakeApp, snap_compare: SnapCompare, engine: Engine
) -> None:
    charged_job(engine, lab.en_maker, "CF1-00001-R", 10, minutes=25)
    charged_job(engine, lab.en_maker, "CF1-00002-P", 12, minutes=40)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.en_maker.badge_id or "")
        await pilot.press("m")
        await settle(pilot)

    assert snap_compare(make_app(language="en"), terminal_size=SIZE, run_before=run_before)


def test_problem_screen(lab: Lab, make_app: MakeApp, snap_compare: SnapCompare) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.fr_maker.badge_id or "")
        await pilot.press("down", "down", "p")
        await settle(pilot)
        await pilot.press("f7", *"Le laser ne coupe plus")
        await settle(pilot)

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_dispute_screen(
    lab: Lab, make_app: MakeApp, snap_compare: SnapCompare, engine: Engine
) -> None:
    charged_job(engine, lab.nl_maker, "CF1-00001-R", 10, minutes=25)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await scan(pilot, lab.nl_maker.badge_id or "")
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press(*"Te lang aangerekend")

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_manager_disputes_screen(
    lab: Lab, make_app: MakeApp, snap_compare: SnapCompare, engine: Engine
) -> None:
    charged_job(engine, lab.fr_maker, "CF1-00001-R", 10, minutes=25)
    with session_scope(engine) as session:
        [charge] = recent_charges(session, id_of(lab.fr_maker))
        open_dispute(
            session,
            maker_id=id_of(lab.fr_maker),
            charge_id=charge.charge_id,
            reason="Le laser s'est arrêté après deux minutes.",
            now=NOW,
        )

    async def run_before(pilot: Pilot[None]) -> None:
        await manager_screen(pilot, lab, "d")

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


def test_trainings_screen(
    lab: Lab, make_app: MakeApp, snap_compare: SnapCompare, engine: Engine
) -> None:
    plan_training(engine, lab)

    async def run_before(pilot: Pilot[None]) -> None:
        await manager_screen(pilot, lab, "t")
        await scan(pilot, lab.novice.badge_id or "")

    assert snap_compare(make_app(language="fr"), terminal_size=SIZE, run_before=run_before)


async def manager_screen(pilot: Pilot[None], lab: Lab, key: str) -> None:
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    await scan(pilot, lab.manager.badge_id or "")
    await pilot.press(*MANAGER_PIN, "enter")
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
