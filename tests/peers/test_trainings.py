"""Training sessions: trainers of a category, enrolment, passes that certify, and the job that
cancels trainings below their minimum."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from fabdesk.db import Engine, session_scope, write_session
from fabdesk.errors import Conflict, InvalidValue, NotFound, RuleViolation
from fabdesk.models import Notification, TrainingSession, TrainingState, id_of
from inventory.makers import NewMaker, register_maker
from inventory.trainings import (
    cancel_underfilled_sessions,
    enrol,
    grant_trainer,
    list_trainings,
    record_passed,
    schedule_training,
)
from tests.peers.conftest import cli
from tests.scheduling.conftest import NOW, TOMORROW, World, local

DAY_AFTER = TOMORROW + timedelta(days=1)


def _trainer(world: World, maker: int, category: str = "laser") -> None:
    with session_scope(world.engine) as session:
        grant_trainer(session, maker_id=maker, category_code=category)


def _training(
    world: World,
    *,
    trainer: int,
    starts_at: datetime,
    minimum: int = 1,
    maximum: int = 3,
    category: str = "laser",
) -> int:
    with session_scope(world.engine) as session:
        training = schedule_training(
            session,
            category_code=category,
            site_code="lab-a",
            trainer_id=trainer,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            min_participants=minimum,
            max_participants=maximum,
            now=NOW,
        )
        return id_of(training)


def _makers(engine: Engine, count: int) -> list[int]:
    with session_scope(engine) as session:
        return [
            id_of(register_maker(session, NewMaker(f"T-{n}", f"Trainee {n}", f"t{n}@example.org")))
            for n in range(count)
        ]


def _enrol(world: World, training: int, maker: int, now: datetime = NOW) -> None:
    with write_session(world.engine) as session:
        enrol(session, training_id=training, maker_id=maker, now=now)


def test_only_a_trainer_of_the_category_plans_and_plans_sensibly(world: World) -> None:
    with pytest.raises(RuleViolation) as refused:
        _training(world, trainer=world.alice, starts_at=local(DAY_AFTER, 18))
    assert refused.value.code == "not_a_trainer"
    _trainer(world, world.alice, "fdm")
    with pytest.raises(RuleViolation):
        _training(world, trainer=world.alice, starts_at=local(DAY_AFTER, 18))
    _trainer(world, world.alice)
    with pytest.raises(InvalidValue) as participants:
        _training(world, trainer=world.alice, starts_at=local(DAY_AFTER, 18), minimum=4)
    assert participants.value.code == "participants"
    with pytest.raises(InvalidValue) as past:
        _training(world, trainer=world.alice, starts_at=NOW - timedelta(hours=1))
    assert past.value.code == "training_times"
    with pytest.raises(NotFound) as category:
        _training(world, trainer=world.alice, starts_at=local(DAY_AFTER, 18), category="cnc")
    assert category.value.code == "category_not_found"
    assert _training(world, trainer=world.alice, starts_at=local(DAY_AFTER, 18)) > 0


def test_enrolment_is_refused_when_full_twice_or_late(world: World) -> None:
    _trainer(world, world.alice)
    training = _training(world, trainer=world.alice, starts_at=local(DAY_AFTER, 18), maximum=2)
    first, second, third = _makers(world.engine, 3)
    _enrol(world, training, first)
    with pytest.raises(Conflict) as twice:
        _enrol(world, training, first)
    assert twice.value.code == "already_enrolled"
    _enrol(world, training, second)
    with pytest.raises(RuleViolation) as full:
        _enrol(world, training, third)
    assert full.value.code == "training_full"
    other = _training(world, trainer=world.alice, starts_at=local(DAY_AFTER, 10))
    with pytest.raises(RuleViolation) as late:
        _enrol(world, other, third, now=local(DAY_AFTER, 10, 5))
    assert late.value.code == "training_started"
    with pytest.raises(NotFound) as missing:
        _enrol(world, 9999, third)
    assert missing.value.code == "training_not_found"


def test_a_pass_recorded_by_the_trainer_certifies_and_lets_the_maker_book(world: World) -> None:
    _trainer(world, world.alice)
    training = _training(world, trainer=world.alice, starts_at=local(TOMORROW, 9))
    _enrol(world, training, world.carol)
    [outsider] = _makers(world.engine, 1)
    after = local(TOMORROW, 11)
    with session_scope(world.engine) as session:
        with pytest.raises(RuleViolation) as not_trainer:
            record_passed(
                session,
                training_id=training,
                trainer_id=world.bob,
                maker_ids=[world.carol],
                now=after,
                granted_on=TOMORROW,
            )
        assert not_trainer.value.code == "not_a_trainer"
        with pytest.raises(RuleViolation) as not_enrolled:
            record_passed(
                session,
                training_id=training,
                trainer_id=world.alice,
                maker_ids=[world.carol, outsider],
                now=after,
                granted_on=TOMORROW,
            )
        assert not_enrolled.value.code == "not_enrolled"
    with session_scope(world.engine) as session:
        granted = record_passed(
            session,
            training_id=training,
            trainer_id=world.alice,
            maker_ids=[world.carol],
            now=after,
            granted_on=TOMORROW,
            expires_on=date(2027, 11, 24),
        )
        assert [(c.maker_id, c.expires_on) for c in granted] == [(world.carol, date(2027, 11, 24))]
    with session_scope(world.engine) as session:
        again = record_passed(
            session,
            training_id=training,
            trainer_id=world.alice,
            maker_ids=[world.carol],
            now=after,
            granted_on=TOMORROW,
        )
        assert again == []
    booking = world.book(
        world.carol, world.laser1, local(DAY_AFTER, 10), local(DAY_AFTER, 11), now=after
    )
    assert booking.maker_id == world.carol


def test_underfilled_trainings_are_cancelled_at_the_deadline_and_makers_told(
    world: World,
) -> None:
    _trainer(world, world.alice)
    underfilled = _training(world, trainer=world.alice, starts_at=local(DAY_AFTER, 18), minimum=2)
    filled = _training(world, trainer=world.alice, starts_at=local(DAY_AFTER, 10), minimum=1)
    later = _training(
        world, trainer=world.alice, starts_at=local(DAY_AFTER + timedelta(days=5), 18), minimum=3
    )
    for training in (underfilled, filled):
        _enrol(world, training, world.carol)
    with session_scope(world.engine) as session:
        cancelled = cancel_underfilled_sessions(session, NOW, 72)
        assert [id_of(t) for t in cancelled] == [underfilled]
    with session_scope(world.engine) as session:
        assert cancel_underfilled_sessions(session, NOW + timedelta(hours=1), 72) == []
        states = {
            t.id: t.state for t in session.exec(select(TrainingSession)).all() if t.id is not None
        }
        assert states == {
            underfilled: TrainingState.CANCELLED,
            filled: TrainingState.SCHEDULED,
            later: TrainingState.SCHEDULED,
        }
        [message] = session.exec(
            select(Notification).where(Notification.kind == "training_cancelled")
        ).all()
        assert (message.maker_id, message.recipient) == (world.carol, "carol@example.org")
        listed = list_trainings(session, since=NOW, site_code="lab-a")
        assert [(row[0].id, row[3]) for row in listed] == [
            (filled, 1),
            (underfilled, 1),
            (later, 0),
        ]
    with pytest.raises(RuleViolation) as closed:
        _enrol(world, underfilled, world.bob)
    assert closed.value.code == "training_cancelled"


def test_cli_plans_enrols_and_passes(world: World, database_url: str) -> None:
    steps = [
        ("trainings", "trainer", "--maker", "M-1", "--category", "laser"),
        (
            "trainings", "add", "--category", "laser", "--site", "lab-a", "--trainer", "M-1",
            "--starts", "2030-01-08T18:00", "--ends", "2030-01-08T20:00", "--min", "1",
        ),
        ("trainings", "enrol", "1", "--maker", "M-3"),
        ("trainings", "pass", "1", "--trainer", "M-1", "--maker", "M-3"),
    ]  # fmt: skip
    for step in steps:
        result = cli(database_url, *step)
        assert result.exit_code == 0, result.output
    listing = cli(database_url, "trainings", "list", "--past")
    assert "laser" in listing.stdout
    refused = cli(database_url, "trainings", "pass", "1", "--trainer", "M-2", "--maker", "M-3")
    assert isinstance(refused.exception, RuleViolation)
    assert refused.exception.code == "not_a_trainer"


def test_cli_reads_a_trainings_times_in_its_sites_zone(world: World, database_url: str) -> None:
    """A training at a site in Lisbon planned for 18:00 starts at 18:00 in Lisbon (not in the
    network's Brussels), is listed so, and a time Lisbon's clocks skip is refused as such."""
    from inventory.sites import edit_site

    with session_scope(world.engine) as session:
        edit_site(session, "lab-a", timezone="Europe/Lisbon")
    assert (
        cli(database_url, "trainings", "trainer", "--maker", "M-1", "--category", "laser").exit_code
        == 0
    )
    plan = ("trainings", "add", "--category", "laser", "--site", "lab-a", "--trainer", "M-1")
    planned = cli(database_url, *plan, "--starts", "2030-01-08T18:00", "--ends", "2030-01-08T20:00")
    assert planned.exit_code == 0, planned.output
    with session_scope(world.engine) as session:
        training = session.exec(select(TrainingSession)).one()
        assert training.starts_at.replace(tzinfo=UTC) == datetime(2030, 1, 8, 18, tzinfo=UTC)
    listing = cli(database_url, "trainings", "list", "--past")
    assert "2030-01-08 18:00" in listing.stdout
    skipped = cli(database_url, *plan, "--starts", "2030-03-31T01:30", "--ends", "2030-03-31T03:00")
    assert isinstance(skipped.exception, InvalidValue)
    assert skipped.exception.code == "nonexistent_time"
