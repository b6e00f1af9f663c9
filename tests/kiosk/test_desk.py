"""The lab desk at the kiosk: Me shows recent usage and charges; a maker disputes a charge and a
manager answers; a maker reports a problem with a machine. Real services, on both databases."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from fabdesk.accounting.charges import maker_balance
from fabdesk.accounting.statements import ChargeState, recent_charges
from fabdesk.db import Engine, session_scope
from fabdesk.models import BookingState, EquipmentStatus, id_of
from inventory.lookups import get_item
from kiosk.screens.board import BoardScreen
from kiosk.screens.dispute import DisputeScreen
from kiosk.screens.disputes import DisputesScreen
from kiosk.screens.me import MeScreen
from kiosk.screens.problem import ProblemScreen
from scheduling.bookings import bookings_of
from scheduling.problems import list_problems
from tests.kiosk.conftest import SIZE, Lab, charged_job
from tests.kiosk.pilot import MakeApp, kinds, manager_home, open_board, pick, screen_text, settle

LASER = "CF1-00001-R"
"""Trotec Speedy 360 #1."""


async def open_me(pilot: Pilot[None], badge: str) -> MeScreen:
    await open_board(pilot, badge)
    await pilot.press("m")
    await settle(pilot)
    me = pilot.app.screen
    assert isinstance(me, MeScreen)
    return me


async def test_me_shows_recent_usage_and_charges(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    charged_job(engine, lab.en_maker, LASER, 10, minutes=25)
    charged_job(engine, lab.en_maker, "CF1-00002-P", 12, minutes=40)
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        me = await open_me(pilot, lab.en_maker.badge_id or "")
        assert [line.active_minutes for line in me.usage] == [40, 25]
        usage = me.query_one("#usage", DataTable)
        assert usage.get_row_at(1) == ["Trotec Speedy 360 #1", "24/11 10:00", "25 min"]
        charges = me.query_one("#charges", DataTable)
        assert charges.row_count == 2
        day, machine, total, _cheques, _billed, state = charges.get_row_at(1)
        assert (day, machine, state) == ("24/11/2026", "Trotec Speedy 360 #1", "charged")
        line = me.charges[1]
        assert total == f"€{line.total_cents // 100}.{line.total_cents % 100:02d}"  # en_GB form
        assert line.cheque_cents + line.maker_cents == line.total_cents
        assert "My recent usage" in screen_text(app)
        assert app.incidents == []


@pytest.mark.parametrize(
    ("language", "why", "sent"),
    [
        ("fr", "Dites pourquoi, en quelques mots.", "Votre contestation est envoyée"),
        ("nl", "Zeg waarom, in een paar woorden.", "Uw betwisting is verstuurd"),
        ("en", "Say why, in a few words.", "Your dispute is sent"),
    ],
)
async def test_a_maker_disputes_a_charge_and_a_manager_accepts(
    lab: Lab, make_app: MakeApp, engine: Engine, language: str, why: str, sent: str
) -> None:
    charged_job(engine, lab.fr_maker, LASER, 10)
    app = make_app(language=language)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press({"fr": "f1", "nl": "f2", "en": "f3"}[language])
        me = await open_me(pilot, lab.fr_maker.badge_id or "")
        await pilot.press("d")
        await settle(pilot)
        dispute = app.screen
        assert isinstance(dispute, DisputeScreen)
        assert len(dispute.charges) == 1
        await pilot.press("enter")  # no reason: refused by the service, in the maker's language
        await settle(pilot)
        assert isinstance(app.screen, DisputeScreen)
        assert app.incidents == []
        assert why in screen_text(app)
        await pilot.press(*"Stopped after 2 min", "enter")
        await settle(pilot)
        assert isinstance(app.screen, MeScreen)
        assert app.screen is me
        assert sent in screen_text(app)
        assert [line.state for line in me.charges] == [ChargeState.DISPUTED]
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DisputeScreen)
        assert app.screen.charges == []
        await pilot.press("escape", "escape", "escape")
        await settle(pilot)
        await manager_home(pilot, lab)
        await pilot.press("d")
        await settle(pilot)
        disputes = app.screen
        assert isinstance(disputes, DisputesScreen)
        assert [line.reason for line in disputes.disputes] == ["Stopped after 2 min"]
        await pilot.press("f7")  # refusing needs a reason
        await settle(pilot)
        assert "Say why, in a few words." in screen_text(app)
        await pilot.press("f6")
        await settle(pilot)
        assert "accepted: the charge is reversed." in screen_text(app)
        assert disputes.disputes == []
        assert "No open dispute." in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        assert maker_balance(session, id_of(lab.fr_maker)).owed_cents == 0
        [line] = recent_charges(session, id_of(lab.fr_maker))
        assert line.state is ChargeState.CANCELLED


async def test_a_manager_refuses_a_dispute_with_a_reason(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    charged_job(engine, lab.en_maker, LASER, 10)
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await open_me(pilot, lab.en_maker.badge_id or "")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press(*"Too much", "enter")
        await settle(pilot)
        await pilot.press("escape", "escape")
        await settle(pilot)
        await manager_home(pilot, lab)
        await pilot.press("d")
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = "The log shows 30 minutes."
        await pilot.press("f7")
        await settle(pilot)
        assert "refused; the maker is told why." in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        [line] = recent_charges(session, id_of(lab.en_maker))
        assert line.state is ChargeState.CHARGED
        assert maker_balance(session, id_of(lab.en_maker)).owed_cents == line.maker_cents


async def test_a_maker_with_no_charge_has_nothing_to_dispute(lab: Lab, make_app: MakeApp) -> None:
    app = make_app(language="nl")
    async with app.run_test(size=SIZE) as pilot:
        await open_me(pilot, lab.nl_maker.badge_id or "")
        await pilot.press("d")
        await settle(pilot)
        assert "U hebt geen kosten om te betwisten." in screen_text(app)
        await pilot.press(*"nothing", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DisputeScreen)
        assert app.incidents == []


async def test_a_serious_problem_puts_the_machine_out_of_order(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.nl_maker.badge_id or "")
        await pick(pilot, board, "Trotec Speedy 360 #1", 15)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        await pick(pilot, board, "Trotec Speedy 360 #1", 13)
        await pilot.press("escape")  # back from the waitlist offer, the cursor on the laser
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        problem = app.screen
        assert isinstance(problem, ProblemScreen)
        table = problem.query_one("#machines", DataTable)
        assert table.get_row_at(table.cursor_row)[0] == "Trotec Speedy 360 #1"
        await pilot.press("enter")  # nothing said: refused
        await settle(pilot)
        assert "Say what the problem is." in screen_text(app)
        await pilot.press("f7", *"Smoke from the tube", "enter")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert (
            "Thank you. Trotec Speedy 360 #1 is now out of order; 1 booking was cancelled "
            "and its maker told." in screen_text(app)
        )
        assert set(kinds(board, "Trotec Speedy 360 #1")) == {"out_of_order"}
        assert app.incidents == []
    with session_scope(engine) as session:
        assert get_item(session, LASER).status is EquipmentStatus.OUT_OF_ORDER
        [(report, tag)] = list_problems(session, site_code="cityfab1")
        assert (tag, report.serious, report.maker_id) == (LASER, True, lab.en_maker.id)
        [booking] = bookings_of(session, id_of(lab.nl_maker))
        assert booking.state is BookingState.CANCELLED


async def test_a_minor_problem_goes_to_the_managers(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    app = make_app(language="fr")
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, lab.fr_maker.badge_id or "")
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ProblemScreen)
        await pilot.press("down", "f7", "f6", *"Le plateau est sale", "enter")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert "Merci. Les responsables examineront" in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        [(report, _tag)] = list_problems(session)
        assert not report.serious
        assert report.text == "Le plateau est sale"
        assert all(
            item.status is EquipmentStatus.IN_SERVICE
            for item in (get_item(session, LASER), get_item(session, "CF1-00002-P"))
        )
