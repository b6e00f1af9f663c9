"""Trainings that lapse when unused: the booking refusal, what keeps a certification alive, the
managers' report, the makers' warning (once a lapse) and the commands."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from fabdesk.db import Engine, session_scope
from fabdesk.errors import InvalidValue, RuleViolation
from fabdesk.models import EquipmentCategory, Maker, Notification
from fabdesk.settings import Settings
from inventory.makers import certify
from inventory.register import edit_item
from inventory.trainings import set_lapse
from kiosk.i18n import translator
from scheduling.jobs import training_lapse_warnings
from scheduling.lapses import lapsing
from tests.peers.conftest import cli, run_job
from tests.scheduling.conftest import NOW, TOMORROW, World, local
from tests.scheduling.test_lab_jobs import _context

TODAY = NOW.date()
USED = date(2026, 10, 29)
"""A Thursday, 25 days before NOW: Alice used a laser that day."""


def _lapse(engine: Engine, days: int | None, category: str = "laser") -> None:
    with session_scope(engine) as session:
        set_lapse(session, category_code=category, days=days)


def _alice_used_a_laser(world: World) -> None:
    world.book(world.alice, world.laser1, local(USED, 10), local(USED, 11), now=local(USED, 9))
    run_job(world, "A-00001-O", local(USED, 10, 5), minutes=20)


def test_an_unused_training_lapses_and_bookings_are_refused(world: World) -> None:
    _lapse(world.engine, 30)
    with pytest.raises(RuleViolation) as refused:
        world.book(world.bob, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    [violation] = refused.value.violations
    assert violation.code == "training_lapsed"
    assert violation.params["since"] == "2026-01-01"  # certified then, never used since
    assert violation.params["days"] == 30
    assert "unused since 01/01/2026" in str(refused.value)
    # Another category, without a lapse, is not touched.
    world.book(world.bob, world.printer, local(TOMORROW, 10), local(TOMORROW, 11))


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("fr", "Votre formation Laser a expiré : inutilisée depuis le 01/01/2026"),
        ("nl", "Uw opleiding Laser is vervallen: ongebruikt sinds 01/01/2026"),
        ("en", "Your Laser cutter training lapsed: unused since 01/01/2026"),
    ],
)
def test_the_refusal_is_said_in_the_makers_language(
    world: World, language: str, sentence: str
) -> None:
    _lapse(world.engine, 30)
    with pytest.raises(RuleViolation) as refused:
        world.book(world.bob, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    shown = refused.value.render(translator(language).gettext, language)
    assert shown.startswith(sentence)


def test_use_keeps_a_training_alive_until_the_lapse_day(world: World) -> None:
    _alice_used_a_laser(world)
    _lapse(world.engine, 30)
    # Valid through 28 November (29 October + 30 days); lapsed from 29 November on.
    world.book(world.alice, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    world.book(
        world.alice, world.laser2, local(date(2026, 11, 28), 10), local(date(2026, 11, 28), 11)
    )
    with pytest.raises(RuleViolation) as refused:
        world.book(
            world.alice, world.laser1, local(date(2026, 11, 30), 10), local(date(2026, 11, 30), 11)
        )
    assert refused.value.code == "training_lapsed"
    assert refused.value.violations[0].params["since"] == USED.isoformat()
    # No lapse any more: the fixed expiry alone decides.
    _lapse(world.engine, None)
    world.book(
        world.alice, world.laser1, local(date(2026, 11, 30), 10), local(date(2026, 11, 30), 11)
    )


def test_use_of_a_machine_that_needs_the_category_counts(world: World) -> None:
    """Laser B belongs to another category but needs the laser training: using it keeps it."""
    with session_scope(world.engine) as session:
        session.add(EquipmentCategory(code="big", name_en="Big", name_fr="Big", name_nl="Big"))
        session.flush()
        edit_item(
            session,
            "B-00001-N",
            {"category": "big", "training_category_code": "laser"},
            actor=None,
            now=NOW,
        )
    world.book(world.bob, world.laser_b, local(USED, 10), local(USED, 11), now=local(USED, 9))
    run_job(world, "B-00001-N", local(USED, 10, 5), minutes=20)
    _lapse(world.engine, 30)
    world.book(world.bob, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))
    with pytest.raises(RuleViolation) as refused:  # the training of Laser B lapsed for Alice
        world.book(world.alice, world.laser_b, local(TOMORROW, 12), local(TOMORROW, 13))
    assert refused.value.code == "training_lapsed"


def test_a_fresh_certification_counts_as_use(world: World) -> None:
    _lapse(world.engine, 30)
    with session_scope(world.engine) as session:
        carol = session.get(Maker, world.carol)
        assert carol is not None
        certify(session, carol, "laser", granted_on=TODAY - timedelta(days=3))
    world.book(world.carol, world.laser1, local(TOMORROW, 10), local(TOMORROW, 11))


def test_a_lapse_is_at_least_a_day(world: World) -> None:
    with pytest.raises(InvalidValue) as refused:
        _lapse(world.engine, 0)
    assert refused.value.code == "lapse_days"


def test_managers_see_who_lapses_and_makers_are_warned_once(
    world: World, settings: Settings
) -> None:
    _alice_used_a_laser(world)
    _lapse(world.engine, 30)
    with session_scope(world.engine) as session:
        [row] = lapsing(session, today=TODAY, within_days=7, timezone="Europe/Brussels")
        assert lapsing(session, today=TODAY, within_days=5, timezone="Europe/Brussels") == []
    assert (row.maker_id, row.category_code) == (world.alice, "laser")
    assert (row.last_active, row.lapses_on) == (USED, date(2026, 11, 29))
    # Bob lapsed long ago (not "about to"); Carol has no laser training.
    context = _context(settings, world.engine)
    with session_scope(world.engine) as session:
        assert training_lapse_warnings(session, context, NOW) == 1
        assert training_lapse_warnings(session, context, NOW + timedelta(days=1)) == 0
        message = session.exec(
            select(Notification).where(Notification.kind == "training_lapse")
        ).one()
    assert message.maker_id == world.alice
    assert message.recipient == "alice@example.org"
    assert "dim. 29 nov. 2026" in message.subject  # Alice reads French, in words


def test_the_commands(world: World, database_url: str) -> None:
    _alice_used_a_laser(world)
    # The commands read the real clock: a lapse long enough to still be ahead of it.
    result = cli(database_url, "trainings", "lapse", "laser", "--days", "3000")
    assert result.exit_code == 0, result.output
    assert "after 3000 days" in result.output
    result = cli(database_url, "trainings", "lapsing", "--within", "4000")
    assert result.exit_code == 0, result.output
    assert "M-1" in result.output
    assert "laser" in result.output
    result = cli(database_url, "trainings", "lapse", "laser", "--days", "0")
    assert "never lapses" in result.output
