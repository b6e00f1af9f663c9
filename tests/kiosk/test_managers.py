"""Manager identities (badge + PIN kept hashed, locked after wrong PINs) and the manager login."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from fabdesk.db import Engine, session_scope
from fabdesk.errors import Conflict, InvalidValue, NotFound
from fabdesk.models import ManagerCredential
from inventory.makers import get_maker, set_language
from inventory.managers import MAX_ATTEMPTS, is_manager, log_in, revoke_manager, set_pin
from kiosk.screens.manager_home import ManagerHomeScreen
from kiosk.screens.manager_login import ManagerLoginScreen
from kiosk.screens.welcome import WelcomeScreen
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
    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(InvalidValue) as wrong:
            _login(engine, badge, "0000")
        assert wrong.value.code == "pin_wrong"
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
    [("fr", "Code PIN erroné."), ("nl", "Foute pincode."), ("en", "Wrong PIN.")],
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
