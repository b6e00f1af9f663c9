"""A manager's power stops at their site and at their own case: cross-site decisions, one's own
dispute, a CLI without a manager, and the audit log that records who did what, by id."""

from __future__ import annotations

import pytest

from fabdesk import exit_codes
from fabdesk.accounting.disputes import accept_dispute, list_disputes, open_dispute, refuse_dispute
from fabdesk.actors import Actor, list_actions
from fabdesk.db import session_scope
from fabdesk.errors import AccessDenied, InvalidValue
from fabdesk.models import ChargeDispute, DisputeState, id_of
from fabdesk.ops.privacy import erase_maker, export_maker
from tests.accounting.factories import ZONE
from tests.peers.conftest import charge_of, cli, make_manager, run_job
from tests.scheduling.conftest import TOMORROW, World, local

LATER = local(TOMORROW, 15)


def _dispute(world: World, maker: int) -> int:
    """`maker`'s dispute of a charge on lab-a's laser."""
    world.book(maker, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    charge = charge_of(world, run_job(world, "A-00001-O", local(TOMORROW, 10), minutes=30))
    with session_scope(world.engine) as session:
        return id_of(
            open_dispute(
                session, maker_id=maker, charge_id=id_of(charge), reason="Too long.", now=LATER
            )
        )


def test_a_manager_of_another_site_cannot_see_or_decide_a_dispute(world: World) -> None:
    dispute = _dispute(world, world.alice)
    lab_b = make_manager(world, world.carol, "lab-b")
    with session_scope(world.engine) as session:
        assert list_disputes(session, lab_b) == []
        with pytest.raises(AccessDenied) as accepted:
            accept_dispute(session, dispute_id=dispute, actor=lab_b, now=LATER, zone=ZONE)
        with pytest.raises(AccessDenied) as refused:
            refuse_dispute(session, dispute_id=dispute, actor=lab_b, reason="No.", now=LATER)
    assert accepted.value.code == refused.value.code == "outside_scope"
    with session_scope(world.engine) as session:
        stored = session.get(ChargeDispute, dispute)
        assert stored is not None
        assert stored.state is DisputeState.OPEN


def test_a_manager_cannot_decide_their_own_dispute(world: World) -> None:
    dispute = _dispute(world, world.alice)
    alice = make_manager(world, world.alice, "lab-a")
    with session_scope(world.engine) as session, pytest.raises(AccessDenied) as own:
        accept_dispute(session, dispute_id=dispute, actor=alice, now=LATER, zone=ZONE)
    assert own.value.code == "own_case"
    network = make_manager(world, world.alice)  # not even as a network admin
    with session_scope(world.engine) as session, pytest.raises(AccessDenied):
        accept_dispute(session, dispute_id=dispute, actor=network, now=LATER, zone=ZONE)


def test_the_cli_acts_as_a_named_manager_recorded_by_id(
    world: World, database_url: str, admin: Actor
) -> None:
    dispute = _dispute(world, world.alice)
    make_manager(world, world.bob, "lab-b")
    nobody = cli(database_url, "disputes", "accept", str(dispute))
    assert isinstance(nobody.exception, InvalidValue)
    assert nobody.exception.code == "actor_required"
    maker = cli(database_url, "disputes", "accept", str(dispute), "--as", "M-1")  # no manager
    other = cli(database_url, "disputes", "accept", str(dispute), "--as", "M-2")  # lab-b
    for refused in (maker, other):
        assert isinstance(refused.exception, AccessDenied), refused.output
        assert exit_codes.for_error(refused.exception) == exit_codes.ACCESS_DENIED
    done = cli(database_url, "disputes", "accept", str(dispute), "--as", "M-3")
    assert done.exit_code == 0, done.output
    with session_scope(world.engine) as session:
        stored = session.get(ChargeDispute, dispute)
        assert stored is not None
        assert stored.decided_by_id == world.carol
        [line] = list_actions(session, admin)
        assert (line.member_number, line.action, line.origin) == ("M-3", "dispute_accepted", "cli")
        with pytest.raises(AccessDenied):  # the audit log is for network admins
            list_actions(session, make_manager(world, world.bob, "lab-b"))
    log = cli(database_url, "managers", "actions", "--as", "M-3")
    assert log.exit_code == 0, log.output
    assert "dispute_accepted" in log.stdout


def test_erasure_and_export_leave_no_name_and_no_credential(world: World, admin: Actor) -> None:
    dispute = _dispute(world, world.alice)
    with session_scope(world.engine) as session:
        accept_dispute(session, dispute_id=dispute, actor=admin, now=LATER, zone=ZONE)
    with session_scope(world.engine) as session:
        exported = export_maker(session, "M-3").to_json()
        assert "scrypt$" not in exported
        assert "pin_hash" not in exported
        assert '"decided_by_id"' in exported  # the manager's decisions are theirs to see
        erase_maker(session, "M-3", now=LATER)
    with session_scope(world.engine) as session:
        stored = session.get(ChargeDispute, dispute)
        assert stored is not None
        assert stored.decided_by_id == world.carol  # an id, now erased
        assert "Carol" not in str(stored.model_dump())
