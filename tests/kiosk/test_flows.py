"""The maker's flows (board, book, refusals, waitlist, walk-in, Me: check in, extend, cancel) and
the manager's (audit, machines, trainings), driven through the real services.

Every flow runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input

from fabdesk.db import Engine, session_scope
from fabdesk.models import BookingState, EquipmentStatus, id_of
from inventory.lookups import get_item
from inventory.organisations import add_organisation, link_maker
from inventory.trainings import grant_trainer, list_trainings, schedule_training
from kiosk.app import KioskApp
from kiosk.screens.audit import AuditScreen
from kiosk.screens.board import BoardScreen
from kiosk.screens.book import BookScreen
from kiosk.screens.confirm import ConfirmScreen
from kiosk.screens.machines import MachinesScreen
from kiosk.screens.me import MeScreen
from kiosk.screens.training_offer import TrainingOfferScreen
from kiosk.screens.trainings import TrainingsScreen
from kiosk.widgets.board_grid import BoardGrid
from scheduling.bookings import bookings_of
from tests.kiosk.conftest import NOW, SIZE, Lab, plan_training
from tests.kiosk.pilot import (
    MakeApp,
    kinds,
    manager_home,
    open_board,
    pick,
    scan,
    screen_text,
    settle,
)


async def test_a_maker_books_a_slot_from_the_board(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.fr_maker.badge_id or "")
        grid = board.query_one("#grid", BoardGrid)
        assert grid.row_count == 16
        assert len(board.view.hours if board.view else ()) == 8  # 10h to 17h on a Tuesday
        assert kinds(board, "Trotec Speedy 360 #1")[1] == "free"
        await pick(pilot, board, "Trotec Speedy 360 #1", 11)
        assert isinstance(app.screen, BookScreen)
        await pilot.press("2", "enter")  # one hour
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen), screen_text(app)
        assert "Réservé : Trotec Speedy 360 #1, de 24/11 11:00 à 12:00." in screen_text(app)
        assert kinds(board, "Trotec Speedy 360 #1")[:3] == ["free", "mine", "free"]
        assert app.incidents == []
    with session_scope(engine) as session:
        booked = bookings_of(session, lab.fr_maker.id or 0)
    assert [b.state for b in booked] == [BookingState.BOOKED]


async def test_picking_the_hour_under_way_books_the_rest_of_it(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    """At 10:20 the 10 o'clock hour is still free on the board: picking it books from the next
    minute, never from the past (the service would refuse that)."""
    app = make_app(now=NOW + timedelta(minutes=20, seconds=30), language="en")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        await pick(pilot, board, "Trotec Speedy 360 #1", 10)
        assert "From 24/11 10:21 to 11:21" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert "Booked: Trotec Speedy 360 #1, 24/11 10:21 to 11:21." in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        booked = bookings_of(session, id_of(lab.en_maker))
    assert [b.starts_at for b in booked] == [NOW + timedelta(minutes=21)]


async def test_a_maker_books_on_behalf_of_a_partner_school(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    """A maker linked to an organisation picks it as the payer (O); the booking names it. A maker
    linked to none sees no choice."""
    with session_scope(engine) as session:
        school = add_organisation(
            session, code="erasmus", name="Erasmus Hogeschool", enterprise_number="0123.456.749"
        )
        link_maker(session, "erasmus", id_of(lab.nl_maker))
        school_id = id_of(school)
    app = make_app(language="nl")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        await pick(pilot, board, "Trotec Speedy 360 #1", 11)
        assert "Paid by" not in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")  # log out
        board = await open_board(pilot, lab.nl_maker.badge_id or "")
        await pick(pilot, board, "Trotec Speedy 360 #1", 11)
        await settle(pilot)
        assert "Betaald door: uzelf" in screen_text(app)
        await pilot.press("o")
        assert "Betaald door: Erasmus Hogeschool" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen), screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        booked = bookings_of(session, id_of(lab.nl_maker))
    assert [b.organisation_id for b in booked] == [school_id]


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("nl", "U hebt een geldige opleiding CO2-lasersnijder nodig op 24/11/2026"),
        ("fr", "Il vous faut une formation Découpeuse laser CO2 valable le 24/11/2026"),
        ("en", "You need a valid CO2 laser cutter certification on 24/11/2026"),
    ],
)
async def test_a_refusal_is_a_sentence_in_the_makers_language(
    lab: Lab, make_app: MakeApp, language: str, sentence: str
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press({"fr": "f1", "nl": "f2", "en": "f3"}[language])
        board = await open_board(pilot, lab.novice.badge_id or "")
        await pick(pilot, board, "Epilog", 14)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TrainingOfferScreen)  # the way to a training, with...
        assert sentence in screen_text(app)  # ...the refusal said first
        assert app.incidents == []
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BookScreen)
        assert sentence in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)


async def test_a_missing_training_offers_the_next_ones_and_enrols_with_one_key(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    tomorrow = NOW + timedelta(days=1)
    with session_scope(engine) as session:
        grant_trainer(session, maker_id=id_of(lab.manager), category_code="laser")
        for site, days in (("cityfab2", 1), ("cityfab1", 3)):
            schedule_training(
                session,
                category_code="laser",
                site_code=site,
                trainer_id=id_of(lab.manager),
                starts_at=tomorrow + timedelta(days=days),
                ends_at=tomorrow + timedelta(days=days, hours=2),
                min_participants=1,
                max_participants=4,
                now=NOW,
            )
    app = make_app(language="nl")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.novice.badge_id or "")
        await pick(pilot, board, "Epilog", 14)
        await pilot.press("enter")
        await settle(pilot)
        offer = app.screen
        assert isinstance(offer, TrainingOfferScreen)
        assert [o.site_name for o in offer.offers] == ["Cityfab1 Laeken", "Cityfab2 Evere"]
        assert "za 28 nov 10:00" in str(offer.table().get_row_at(0)[0])  # this site's first
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BookScreen)
        assert "U bent ingeschreven voor de opleiding van za 28 nov 10:00" in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        [(_, _, _, enrolled)] = [
            t for t in list_trainings(session, since=NOW) if t[2] == "cityfab1"
        ]
        assert enrolled == 1


async def test_a_taken_slot_offers_the_waitlist(lab: Lab, make_app: MakeApp) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        await pick(pilot, board, "Prusa MK4 #1", 15)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        board = await open_board(pilot, lab.nl_maker.badge_id or "")
        assert kinds(board, "Prusa MK4 #1")[5] == "booked"
        await pick(pilot, board, "Prusa MK4 #1", 15)
        assert isinstance(app.screen, BookScreen)
        assert app.screen.mode == "waitlist"
        await pilot.press("enter")
        await settle(pilot)
        assert "U staat op de wachtlijst voor Prusa MK4 #1" in screen_text(app)
        await pick(pilot, board, "Prusa MK4 #1", 15)
        await pilot.press("enter")
        await settle(pilot)
        assert "U wacht al op dit tijdslot." in screen_text(app)


async def test_a_taken_slot_offers_the_next_free_one(lab: Lab, make_app: MakeApp) -> None:
    app = make_app(language="nl")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        await pick(pilot, board, "Prusa MK4 #1", 15)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        board = await open_board(pilot, lab.nl_maker.badge_id or "")
        await pick(pilot, board, "Prusa MK4 #1", 15)
        taken = app.screen
        assert isinstance(taken, BookScreen)
        assert taken.mode == "waitlist"
        assert taken.next_free is not None
        start = taken.next_free.starts_at.astimezone(app.zone)
        assert start.hour == 16  # right after the booking (and its buffer)
        assert f"Eerstvolgend vrij: di 24 nov {start:%H:%M} tot" in screen_text(app)
        await pilot.press("n")
        await settle(pilot)
        offered = app.screen
        assert isinstance(offered, BookScreen)
        assert offered.mode == "book"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert f"Gereserveerd: Prusa MK4 #1, van 24/11 {start:%H:%M}" in screen_text(app)
        assert app.incidents == []


async def test_walk_in_then_me_extends_and_a_later_booking_is_cancelled(
    lab: Lab, make_app: MakeApp
) -> None:
    app = make_app(language="en", undo_seconds=1)
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.en_maker.badge_id or "")
        row = next(i for i, r in enumerate(board.view.rows if board.view else ()) if
                   r.name.startswith("Bambu Lab X1 Carbon #1"))  # fmt: skip
        board.query_one("#grid", BoardGrid).cursor_coordinate = Coordinate(row, 1)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, BookScreen)
        await pilot.press("1", "enter")  # 30 minutes, from now
        await settle(pilot)
        assert "Checked in: Bambu Lab X1 Carbon #1 is yours until 10:30." in screen_text(app)
        await pick(pilot, board, "Bambu Lab X1 Carbon #2", 16)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        me = app.screen
        assert isinstance(me, MeScreen)
        assert [b.state for b in me.bookings] == ["checked_in", "booked"]
        await pilot.press("e")
        await settle(pilot)
        assert "Extended until 11:00." in screen_text(app)
        await pilot.press("c")  # already checked in: refused by the service, said plainly
        await settle(pilot)
        assert "it cannot be checked in" in screen_text(app)
        await pilot.press("down", "x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Cancel your booking of Bambu Lab X1 Carbon #2, 24/11 16:00?" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert "Cancelled in 1 second: press U to undo." in screen_text(app)
        await pilot.press("u")  # taken back in time: nothing happens to the booking
        await pilot.pause(1.5)
        await settle(pilot)
        assert "Kept: your booking is not cancelled." in screen_text(app)
        assert [b.state for b in me.bookings] == ["checked_in", "booked"]
        await pilot.press("x", "escape")  # asked, and answered no
        await settle(pilot)
        assert app.pending_cancels == {}
        await pilot.press("x", "enter")
        await pilot.pause(1.5)
        await settle(pilot)
        assert "Booking cancelled." in screen_text(app)
        assert [b.state for b in me.bookings] == ["checked_in"]
        assert "You owe nothing." in screen_text(app)
        assert app.incidents == []


async def test_check_in_of_a_booking_that_starts_now(lab: Lab, make_app: MakeApp) -> None:
    app = make_app(language="fr")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.fr_maker.badge_id or "")
        await pick(pilot, board, "Prusa MK4 #2", 10)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert "Enregistré. La machine est à vous." in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)


async def test_a_manager_audits_the_site(lab: Lab, make_app: MakeApp, engine: Engine) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await manager_home(pilot, lab)
        await pilot.press("a")
        await settle(pilot)
        audit = app.screen
        assert isinstance(audit, AuditScreen)
        await scan(pilot, "CF1-00001-")  # not a tag
        await scan(pilot, audit_tag(engine, app, 0))
        await scan(pilot, audit_tag(engine, app, 0))
        assert audit.counts.get("found") == 1
        assert audit.counts.get("duplicate") == 1
        assert audit.counts.get("unknown") == 1
        assert "Progress: 1 of 16 expected items" in screen_text(app)
        await pilot.press("f9")
        await settle(pilot)
        assert audit.counts.get("missing") == 15
        assert "closed. Report: 1 found" in screen_text(app)
        # The missing items are on screen, each with where the register last had it.
        table = audit.query_one("#scans", DataTable)
        assert [str(column.label) for column in table.columns.values()] == [
            "Label",
            "Missing item",
            "Last known place",
            "Last seen",
        ]
        rows = [table.get_row_at(index) for index in range(table.row_count)]
        assert len(rows) == 15
        assert audit_tag(engine, app, 0) not in {row[0] for row in rows}
        assert all(row[2] and row[3] == "never" for row in rows), rows[:2]
        assert app.incidents == []


async def test_an_audit_flags_a_scanned_item_the_register_says_is_retired(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    from inventory.register import change_status

    app = make_app(language="en")
    retired = audit_tag(engine, app, 1)
    with session_scope(engine) as session:
        change_status(session, retired, EquipmentStatus.RETIRED, reason="old", actor=None, now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await manager_home(pilot, lab)
        await pilot.press("a")
        await settle(pilot)
        await scan(pilot, retired)
        row = app.screen.query_one("#scans", DataTable).get_row_at(0)
        assert row[2] == "found · retired in the register!"
        assert app.incidents == []


def audit_tag(engine: Engine, app: KioskApp, index: int) -> str:
    from kiosk.views import read_machines

    return read_machines(engine, app.site)[1][index].asset_tag


async def test_a_manager_puts_a_machine_out_of_order_and_back(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        board = await open_board(pilot, lab.fr_maker.badge_id or "")
        await pick(pilot, board, "Trotec Speedy 360 #1", 13)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await manager_home(pilot, lab)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, MachinesScreen)
        await pilot.press("f6")  # no reason given: refused
        await settle(pilot)
        assert "Say why" in screen_text(app)
        app.screen.query_one("#reason", Input).value = "laser tube cracked"
        await pilot.press("f6")
        await settle(pilot)
        assert (
            "Trotec Speedy 360 #1 is out of order; 1 booking was cancelled and its maker told."
            in screen_text(app)
        )
        with session_scope(engine) as session:
            assert get_item(session, "CF1-00001-R").status == EquipmentStatus.OUT_OF_ORDER
        await pilot.press("f7")
        await settle(pilot)
        assert "Trotec Speedy 360 #1 is back in service." in screen_text(app)
        await pilot.press("f8")
        await settle(pilot)
        assert "Maintenance of Trotec Speedy 360 #1 recorded." in screen_text(app)
        assert app.incidents == []


async def test_a_manager_records_a_training(lab: Lab, make_app: MakeApp, engine: Engine) -> None:
    plan_training(engine, lab)
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await manager_home(pilot, lab)
        await pilot.press("t")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TrainingsScreen)
        assert [line.enrolled for line in screen.trainings] == [1]
        await scan(pilot, "NOBODY-AT-ALL")
        assert "This badge is not known here." in screen_text(app)
        await scan(pilot, lab.fr_maker.badge_id or "")  # not enrolled: refused by the service
        assert f"Maker {lab.fr_maker.id} is not enrolled in training" in screen_text(app)
        await scan(pilot, lab.novice.badge_id or "")
        assert "Noor Novice passed the CO2 laser cutter training." in screen_text(app)
        await scan(pilot, lab.novice.badge_id or "")
        assert "Noor Novice had already passed the CO2 laser cutter training." in screen_text(app)
        assert app.incidents == []
        await pilot.press("escape", "escape")
        await settle(pilot)
        board = await open_board(pilot, lab.novice.badge_id or "")
        await pick(pilot, board, "Epilog", 14)
        await pilot.press("enter")
        await settle(pilot)
        assert "Gereserveerd: Epilog Fusion Pro 32" in screen_text(app)
    with session_scope(engine) as session:
        assert [b.state for b in bookings_of(session, id_of(lab.novice))] == [BookingState.BOOKED]


async def test_only_a_trainer_of_the_category_records_a_pass(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    plan_training(engine, lab, trainer=False)
    app = make_app(language="fr")
    async with app.run_test(size=SIZE) as pilot:
        await manager_home(pilot, lab)
        await pilot.press("t")
        await settle(pilot)
        await scan(pilot, lab.novice.badge_id or "")
        assert "This maker is not a trainer for CO2 laser cutter." in screen_text(app)
        assert app.incidents == []
