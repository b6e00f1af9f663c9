"""Charge disputes: a maker disputes their charge; a manager accepts (a reversal: the ledger still
balances, the maker owes it no more) or refuses with a reason; both idempotent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlmodel import select

from fabdesk.accounting.charges import maker_balance, reverse_charge
from fabdesk.accounting.disputes import (
    accept_dispute,
    disputable_charges,
    list_disputes,
    open_dispute,
    refuse_dispute,
)
from fabdesk.accounting.ledger import check_ledger
from fabdesk.accounting.pricing import PriceRules
from fabdesk.actors import Actor
from fabdesk.db import session_scope
from fabdesk.errors import Conflict, InvalidValue, NotFound, RuleViolation
from fabdesk.models import ChargeDispute, DisputeState, Notification, UsageCharge, id_of
from tests.accounting.factories import ZONE
from tests.peers.conftest import charge_of, cli, run_job
from tests.scheduling.conftest import TOMORROW, World, local

LATER = local(TOMORROW, 15)


def _charge(world: World, hour: int = 10) -> UsageCharge:
    world.book(world.alice, world.laser1, local(TOMORROW, hour), local(TOMORROW, hour + 1))
    return charge_of(world, run_job(world, "A-00001-O", local(TOMORROW, hour), minutes=30))


def _open(world: World, charge: UsageCharge, maker: int | None = None, reason: str = "") -> int:
    with session_scope(world.engine) as session:
        dispute = open_dispute(
            session,
            maker_id=maker or world.alice,
            charge_id=id_of(charge),
            reason=reason or "The laser stopped after two minutes.",
            now=LATER,
        )
        return id_of(dispute)


def test_a_maker_disputes_only_their_own_charge_once_at_a_time(world: World) -> None:
    charge = _charge(world)
    with pytest.raises(RuleViolation) as not_yours:
        _open(world, charge, maker=world.bob)
    assert not_yours.value.code == "not_your_charge"
    with pytest.raises(InvalidValue) as no_reason:
        _open(world, charge, reason="   ")
    assert no_reason.value.code == "reason_required"
    with session_scope(world.engine) as session, pytest.raises(NotFound) as missing:
        open_dispute(session, maker_id=world.alice, charge_id=999, reason="x", now=LATER)
    assert missing.value.code == "charge_not_found"
    _open(world, charge)
    with pytest.raises(Conflict) as twice:
        _open(world, charge)
    assert twice.value.code == "dispute_open"


def test_the_database_holds_one_open_dispute_per_charge(world: World) -> None:
    charge = _charge(world)
    _open(world, charge)
    with pytest.raises(sa.exc.IntegrityError), session_scope(world.engine) as session:
        session.add(
            ChargeDispute(
                usage_charge_id=id_of(charge), maker_id=world.alice, reason="again", opened_at=LATER
            )
        )


def test_accepting_reverses_the_charge_once(world: World, admin: Actor) -> None:
    charge = _charge(world)
    with session_scope(world.engine) as session:
        assert maker_balance(session, world.alice).owed_cents == charge.maker_cents == 1500
    dispute = _open(world, charge)
    with session_scope(world.engine) as session:
        accepted = accept_dispute(session, dispute_id=dispute, actor=admin, now=LATER, zone=ZONE)
        reversal = accepted.reversal_id
        assert reversal is not None
    with session_scope(world.engine) as session:
        again = accept_dispute(session, dispute_id=dispute, actor=admin, now=LATER, zone=ZONE)
        assert again.reversal_id == reversal
        assert maker_balance(session, world.alice).owed_cents == 0
        assert check_ledger(session).ok
        with pytest.raises(Conflict) as decided:
            refuse_dispute(session, dispute_id=dispute, actor=admin, reason="no", now=LATER)
        assert decided.value.code == "dispute_decided"
        [message] = session.exec(
            select(Notification).where(Notification.kind == "dispute_accepted")
        ).all()
        assert message.maker_id == world.alice
        assert list_disputes(session, admin) == []
        assert [d.state for d in list_disputes(session, admin, state=None)] == [
            DisputeState.ACCEPTED
        ]
    with pytest.raises(Conflict) as reversed_already:
        _open(world, charge)
    assert reversed_already.value.code == "charge_reversed"


def test_refusing_keeps_the_charge_and_says_why(world: World, admin: Actor) -> None:
    charge = _charge(world)
    dispute = _open(world, charge)
    with session_scope(world.engine) as session:
        with pytest.raises(InvalidValue) as no_reason:
            refuse_dispute(session, dispute_id=dispute, actor=admin, reason="", now=LATER)
        assert no_reason.value.code == "reason_required"
        refused = refuse_dispute(
            session, dispute_id=dispute, actor=admin, reason="The log shows 30 min.", now=LATER
        )
        assert refused.state is DisputeState.REFUSED
    with session_scope(world.engine) as session:
        refuse_dispute(session, dispute_id=dispute, actor=admin, reason="again", now=LATER)
        stored = session.get(ChargeDispute, dispute)
        assert stored is not None
        assert stored.decision_reason == "The log shows 30 min."
        with pytest.raises(Conflict):
            accept_dispute(session, dispute_id=dispute, actor=admin, now=LATER, zone=ZONE)
        assert maker_balance(session, world.alice).owed_cents == 1500


def test_a_charge_reversed_meanwhile_cannot_be_accepted(world: World, admin: Actor) -> None:
    charge = _charge(world)
    other = _charge(world, 12)
    with session_scope(world.engine) as session:
        listed = disputable_charges(session, world.alice, since=TOMORROW)
        assert [c.id for c in listed] == [other.id, charge.id]
        assert disputable_charges(session, world.bob, since=TOMORROW) == []
    dispute = _open(world, charge)
    with session_scope(world.engine) as session:
        reverse_charge(
            session, charge.usage_session_id, now=LATER, repost=PriceRules.default(), zone=ZONE
        )
        [corrected, still] = disputable_charges(session, world.alice, since=TOMORROW)
        assert still.id == other.id
        assert (corrected.usage_session_id, corrected.revision) == (charge.usage_session_id, 2)
    with session_scope(world.engine) as session, pytest.raises(Conflict) as gone:
        accept_dispute(session, dispute_id=dispute, actor=admin, now=LATER, zone=ZONE)
    assert gone.value.code == "charge_reversed"


def test_cli_lists_accepts_and_refuses(world: World, database_url: str, admin: Actor) -> None:
    first = _open(world, _charge(world, 10))
    second = _open(world, _charge(world, 12))
    listing = cli(database_url, "disputes", "list", "--as", "M-3")
    assert listing.exit_code == 0, listing.output
    assert "two minutes" in listing.stdout
    accepted = cli(database_url, "disputes", "accept", str(first), "--as", "M-3")
    assert accepted.exit_code == 0, accepted.output
    refused = cli(
        database_url, "disputes", "refuse", str(second), "--as", "M-3", "--reason", "Ran 30 min."
    )
    assert refused.exit_code == 0, refused.output
    with session_scope(world.engine) as session:
        assert maker_balance(session, world.alice).owed_cents == 1500
    wrong = cli(database_url, "disputes", "accept", str(second), "--as", "M-3")
    assert isinstance(wrong.exception, Conflict)
    assert "already refused" in str(wrong.exception)
