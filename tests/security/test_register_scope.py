"""A site's manager cannot change another site's items nor open an audit there, from the CLI or
the kiosk; what managers change is kept by id, named in the history, and in the audit log."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import Input

from fabdesk import exit_codes
from fabdesk.actors import SYSTEM, Actor, list_actions, names_of
from fabdesk.db import Engine, session_scope
from fabdesk.errors import AccessDenied
from fabdesk.models import Audit, EquipmentStatus, ManagerCredential, Site, id_of
from fabdesk.ops.privacy import ERASED_NAME, erase_maker
from inventory.audit import open_audit
from inventory.lookups import get_item
from inventory.maintenance import record_maintenance
from inventory.register import change_status, history
from kiosk.screens.audit import AuditScreen
from kiosk.screens.machines import MachinesScreen
from tests.kiosk.conftest import SIZE, Lab
from tests.kiosk.pilot import MakeApp, manager_home, screen_text, settle
from tests.peers.conftest import cli, make_manager
from tests.scheduling.conftest import NOW, World

LASER_A = "A-00001-O"
"""Lab A's laser; lab B's manager is M-2 (Bob) in these tests."""

ATTACKS = [
    ("equipment", "edit", LASER_A, "notes=mine now"),
    ("equipment", "status", LASER_A, "out_of_order", "-r", "sabotage"),
    ("equipment", "move", LASER_A, "--site", "lab-b", "-r", "we need it"),
    ("equipment", "maintained", LASER_A, "--notes", "nothing"),
    ("equipment", "check-after-use", LASER_A),
    ("equipment", "add", "lab-a", "laser", "Ghost laser"),
    ("investors", "shares", LASER_A),
    ("audit", "open", "lab-a"),
]


def test_a_site_manager_cannot_change_another_sites_items_from_the_cli(
    world: World, database_url: str, admin: Actor
) -> None:
    make_manager(world, world.bob, "lab-b")
    with session_scope(world.engine) as session:
        before = len(history(session, LASER_A))
    for attack in ATTACKS:
        refused = cli(database_url, *attack, "--as", "M-2")
        assert isinstance(refused.exception, AccessDenied), (attack, refused.output)
        assert refused.exception.code == "outside_scope"
        assert exit_codes.for_error(refused.exception) == exit_codes.ACCESS_DENIED
    # Moving their own site's item to another site needs that site too.
    make_manager(world, world.alice, "lab-a")
    away = cli(
        database_url, "equipment", "move", LASER_A, "--site", "lab-b", "-r", "x", "--as", "M-1"
    )
    assert isinstance(away.exception, AccessDenied), away.output
    with session_scope(world.engine) as session:
        item = get_item(session, LASER_A)
        assert (item.status, item.notes, item.check_after_use) == (
            EquipmentStatus.IN_SERVICE,
            "",
            False,
        )
        assert len(history(session, LASER_A)) == before
        assert session.exec(select(Audit)).all() == []
        assert list_actions(session, admin) == []
    # Their own site's items, they change: kept by id, named in the history, in the audit log.
    done = cli(
        database_url, "equipment", "status", LASER_A, "maintenance", "-r", "mirrors", "--as", "M-1"
    )
    assert done.exit_code == 0, done.output
    opened = cli(database_url, "audit", "open", "lab-a", "--as", "M-1")
    assert opened.exit_code == 0, opened.output
    with session_scope(world.engine) as session:
        assert history(session, LASER_A)[-1].actor_id == world.alice
        assert session.exec(select(Audit.opened_by_id)).all() == [world.alice]
        actions = [
            (line.member_number, line.action, line.site_code)
            for line in list_actions(session, admin)
        ]
    assert actions == [("M-1", "audit_opened", "lab-a"), ("M-1", "equipment_status", "lab-a")]
    shown = cli(database_url, "equipment", "history", LASER_A)
    assert "Alice" in shown.output, shown.output


def _rescope(engine: Engine, lab: Lab, site_code: str) -> None:
    """The manager's role moves to `site_code` (while they are logged in at a kiosk)."""
    with session_scope(engine) as session:
        credential = session.get(ManagerCredential, lab.manager.id)
        site = session.exec(select(Site).where(Site.code == site_code)).one()
        assert credential is not None
        credential.site_id = id_of(site)
        session.add(credential)


@pytest.mark.parametrize("screen", ["machines", "audit"])
async def test_the_kiosk_acts_as_its_manager_within_their_scope(
    lab: Lab, make_app: MakeApp, engine: Engine, screen: str
) -> None:
    """Logged in at Cityfab1 as its manager, then made manager of Cityfab2 only: the kiosk acts as
    the manager's current scope, so Cityfab1's machines and audit are out of reach."""
    _rescope(engine, lab, "cityfab1")
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await manager_home(pilot, lab)
        _rescope(engine, lab, "cityfab2")
        await pilot.press("m" if screen == "machines" else "a")
        await settle(pilot)
        if screen == "machines":
            assert isinstance(app.screen, MachinesScreen)
            app.screen.query_one("#reason", Input).value = "sabotage"
            await pilot.press("f6")
            await settle(pilot)
        else:
            assert isinstance(app.screen, AuditScreen)
        assert "You manage Cityfab2 Evere only." in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        assert get_item(session, "CF1-00001-R").status == EquipmentStatus.IN_SERVICE
        assert session.exec(select(Audit)).all() == []


def test_erasure_keeps_the_register_history_by_id_naming_nobody(world: World) -> None:
    alice = make_manager(world, world.alice, "lab-a")
    with session_scope(world.engine) as session:
        change_status(
            session, LASER_A, EquipmentStatus.MAINTENANCE, reason="mirrors", actor=alice, now=NOW
        )
        record_maintenance(session, LASER_A, done_on=NOW.date(), actor=alice, now=NOW)
        open_audit(session, "lab-a", actor=alice, now=NOW)
    with session_scope(world.engine) as session:
        erased = erase_maker(session, "M-1", now=NOW)
    assert {name: erased.kept[name] for name in ("equipment_events", "maintenance_records")} == {
        "equipment_events": 2,
        "maintenance_records": 1,
    }
    assert erased.kept["audits"] == 1
    with session_scope(world.engine) as session:
        assert history(session, LASER_A)[-1].actor_id == world.alice
        assert names_of(session, [world.alice, None]) == {world.alice: ERASED_NAME, None: SYSTEM}
