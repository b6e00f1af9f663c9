"""A maker's recent usage and charges (what the kiosk's Me shows): newest first, limited, each
charge with what paid it and whether it still counts."""

from __future__ import annotations

from fabdesk.accounting.disputes import accept_dispute, open_dispute
from fabdesk.accounting.statements import ChargeState, charge_lines, recent_charges
from fabdesk.actors import Actor
from fabdesk.db import session_scope
from fabdesk.models import id_of
from fabdesk.usage.history import recent_sessions
from tests.accounting.factories import ZONE
from tests.peers.conftest import charge_of, run_job
from tests.scheduling.conftest import TOMORROW, World, local

LATER = local(TOMORROW, 17)


def test_recent_usage_and_charges_newest_first(world: World, admin: Actor) -> None:
    charges = []
    for hour, minutes in ((10, 30), (12, 45), (14, 20)):
        world.book(world.alice, world.laser1, local(TOMORROW, hour), local(TOMORROW, hour + 1))
        charges.append(charge_of(world, run_job(world, "A-00001-O", local(TOMORROW, hour),
                                                minutes=minutes)))  # fmt: skip
    world.book(world.bob, world.laser2, local(TOMORROW, 10), local(TOMORROW, 11))
    run_job(world, "A-00002-M", local(TOMORROW, 10))
    with session_scope(world.engine) as session:
        dispute = open_dispute(
            session, maker_id=world.alice, charge_id=id_of(charges[1]), reason="Stopped.", now=LATER
        )
        sessions = recent_sessions(session, world.alice)
        assert [line.active_minutes for line in sessions] == [20, 45, 30]
        assert sessions[0].started_at == local(TOMORROW, 14)
        assert len(recent_sessions(session, world.alice, limit=2)) == 2
        lines = recent_charges(session, world.alice)
        assert [line.charge_id for line in lines] == [id_of(c) for c in reversed(charges)]
        assert [line.state for line in lines] == [
            ChargeState.CHARGED,
            ChargeState.DISPUTED,
            ChargeState.CHARGED,
        ]
        assert lines[2].total_cents == 1500 == lines[2].maker_cents + lines[2].cheque_cents
        assert lines[2].billed_minutes == 30
        assert all(line.maker_id == world.alice for line in lines)
        accept_dispute(session, dispute_id=id_of(dispute), actor=admin, now=LATER, zone=ZONE)
    with session_scope(world.engine) as session:
        assert recent_charges(session, world.alice, limit=2)[1].state is ChargeState.CANCELLED
        by_id = charge_lines(session, [id_of(charges[0]), id_of(charges[0])])
        assert list(by_id) == [id_of(charges[0])]
        assert charge_lines(session, []) == {}
        assert recent_charges(session, world.carol) == []
        assert recent_sessions(session, world.carol) == []
