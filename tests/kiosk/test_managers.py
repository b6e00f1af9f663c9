"""Manager identities (badge + PIN kept hashed, locked after wrong PINs) and the manager login."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import Session

from fabdesk.db import Engine, session_scope, write_session
from fabdesk.errors import Conflict, InvalidValue, NotFound
from fabdesk.models import ManagerCredential
from inventory.makers import get_maker, set_language
from inventory.managers import MAX_ATTEMPTS, is_manager, log_in, revoke_manager, set_pin
from kiosk.screens.manager_home import ManagerHomeScreen
from kiosk.screens.manager_login import ManagerLoginScreen
from kiosk.screens.welcome import WelcomeScreen
from kiosk.widgets.message_line import MessageLine
from tests.kiosk.conftest import MANAGER_PIN, NOW, SIZE, Lab
from tests.kiosk.pilot import MakeApp, scan, screen_text, settle


def _login(engine: Engine, badge: str, pin: str, minutes: int = 0) -> None:
    with session_scope(engine) as session:
        outcome = log_in(session, badge, pin, now=NOW + timedelta(minutes=minutes))
    outcome.raise_for_refusal()


def test_the_pin_is_kept_hashed(lab: Lab, session: Session) -> None:
    credential = session.get(ManagerCredential, lab.manager.id)
    assert credential is not None
    assert MANAGER_PIN not in credential.pin_hash
    assert credential.pin_hash.startswith("scrypt$")


def test_a_manager_logs_in_with_badge_and_pin(lab: Lab, engine: Engine) -> None:
    with session_scope(engine) as session:
        outcome = log_in(session, lab.manager.badge_id or "", MANAGER_PIN, now=NOW)
    assert outcome.refusal is None
    assert outcome.maker_id == lab.manager.id


def test_wrong_pins_are_refused_then_lock_the_pin(lab: Lab, engine: Engine) -> None:
    badge = lab.manager.badge_id or ""
    for tries_left in range(MAX_ATTEMPTS - 1, 0, -1):
        with pytest.raises(InvalidValue) as wrong:
            _login(engine, badge, "0000")
        assert wrong.value.code == "pin_wrong"
        assert wrong.value.params["tries"] == tries_left
    with pytest.raises(Conflict) as falls:  # the last wrong PIN says the lock at once
        _login(engine, badge, "0000")
    assert falls.value.code == "pin_locked"
    assert falls.value.params["minutes"] == 5
    with pytest.raises(Conflict) as locked:
        _login(engine, badge, MANAGER_PIN, minutes=1)
    assert locked.value.code == "pin_locked"
    assert locked.value.params["minutes"] == 4
    _login(engine, badge, MANAGER_PIN, minutes=6)  # the lock has passed


def test_a_maker_without_pin_is_not_a_manager(lab: Lab, engine: Engine) -> None:
    with pytest.raises(NotFound) as refused:
        _login(engine, lab.fr_maker.badge_id or "", "1234")
    assert refused.value.code == "not_a_manager"
    with pytest.raises(NotFound) as unknown:
        _login(engine, "NOBODY", "1234")
    assert unknown.value.code == "badge_unknown"


@pytest.mark.parametrize("pin", ["12", "123456789", "12a4", "١٢٣٤", ""])
def test_a_pin_must_be_four_to_eight_digits(lab: Lab, session: Session, pin: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        set_pin(session, get_maker(session, lab.fr_maker.member_number), pin)
    assert refused.value.code == "pin_format"


def test_a_manager_can_be_revoked(lab: Lab, session: Session) -> None:
    manager = get_maker(session, lab.manager.member_number)
    revoke_manager(session, manager)
    assert not is_manager(session, manager)


def test_set_language_refuses_unknown_languages(lab: Lab, session: Session) -> None:
    with pytest.raises(InvalidValue):
        set_language(session, lab.fr_maker.id or 0, "de")
    with pytest.raises(NotFound):
        set_language(session, 999_999, "nl")
    assert set_language(session, lab.fr_maker.id or 0, "nl").language == "nl"


async def test_the_manager_screens_open_with_badge_and_pin(lab: Lab, make_app: MakeApp) -> None:
    app = make_app(language="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ManagerLoginScreen)
        await scan(pilot, lab.manager.badge_id or "")
        await pilot.press(*MANAGER_PIN, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ManagerHomeScreen)
        assert app.manager is not None
        assert app.manager.maker_id == lab.manager.id
        assert app.language == "en"
        assert f"Manager: {lab.manager.name}" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.manager is None


@pytest.mark.parametrize(
    ("language", "sentence"),
    [
        ("fr", "Code PIN erroné. Essais restants avant le blocage : 4."),
        ("nl", "Foute pincode. Pogingen over voor de blokkering: 4."),
        ("en", "Wrong PIN. Tries left before the PIN locks: 4."),
    ],
)
async def test_a_wrong_pin_is_said_in_the_kiosk_language(
    lab: Lab, make_app: MakeApp, language: str, sentence: str
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await scan(pilot, lab.manager.badge_id or "")
        await pilot.press("9", "9", "9", "9", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ManagerLoginScreen)
        assert sentence in screen_text(app)
        assert app.manager is None
        assert app.incidents == []


async def test_a_makers_badge_does_not_open_the_manager_screens(
    lab: Lab, make_app: MakeApp
) -> None:
    app = make_app(language="en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await pilot.press("tab", "1", "2", "3", "4", "enter")  # PIN before any badge
        await settle(pilot)
        assert "Scan your badge first." in screen_text(app)
        await scan(pilot, lab.fr_maker.badge_id or "")
        await pilot.press("1", "2", "3", "4", "enter")
        await settle(pilot)
        assert "This badge does not belong to a manager." in screen_text(app)


async def test_the_tries_left_are_said_and_the_lock_when_it_falls(
    lab: Lab, make_app: MakeApp
) -> None:
    app = make_app(language="fr")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await scan(pilot, lab.manager.badge_id or "")
        said = []
        for _ in range(MAX_ATTEMPTS):
            await pilot.press("9", "9", "9", "9", "enter")
            await settle(pilot)
            said.append(app.screen.query_one("#message", MessageLine).text)
        assert said[:-1] == [
            f"Code PIN erroné. Essais restants avant le blocage : {n}." for n in (4, 3, 2, 1)
        ]
        assert said[-1] == "Code PIN erroné. Le code PIN est maintenant bloqué pendant 5 minutes."
        assert app.incidents == []


async def test_a_pin_typed_while_the_database_is_busy_is_counted(
    lab: Lab, make_app: MakeApp, engine: Engine
) -> None:
    """The server ingesting commits small write transactions all the time: each attempt waits
    its turn and is counted (it used to fail with "database is locked", uncounted: a lock-out
    bypass)."""
    app = make_app(language="en")
    busy = threading.Event()
    stop = threading.Event()

    def ingest() -> None:
        while not stop.is_set():
            with write_session(engine) as session:
                session.connection().exec_driver_sql("UPDATE sites SET name = name")
            busy.set()
            commits.append(1)

    commits: list[int] = []
    writer = threading.Thread(target=ingest)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await scan(pilot, lab.manager.badge_id or "")
        writer.start()
        try:
            busy.wait(5)
            for _ in range(3):
                await pilot.press("9", "9", "9", "9", "enter")
                await settle(pilot)
        finally:
            stop.set()
            writer.join()
        assert len(commits) > 10, "the writer was busy during the attempts"
        assert "Tries left before the PIN locks: 2." in screen_text(app)
        assert app.incidents == []
    with session_scope(engine) as session:
        credential = session.get(ManagerCredential, lab.manager.id)
        assert credential is not None
        assert credential.failed_attempts == 3
