"""Random keys and random scanner bursts, a few thousand of them, leave the kiosk running, with no
incident (no unexpected error was met). SQLite only: this tries the screens, not the database.

Keys arrive in bursts, as from a terminal (and as a scanner types: all at once), posted to the app
the way its driver posts them; the test waits for the app to be idle after each burst only.
"""

from __future__ import annotations

import random
import string

import pytest
from textual import events
from textual.keys import _character_to_key

from kiosk.screens.oops import OopsScreen
from tests.kiosk.conftest import MANAGER_PIN, SIZE, Lab, Ticker
from tests.kiosk.pilot import MakeApp, open_board, settle

EVENTS = 3000
KEYS = [
    "up", "down", "left", "right", "enter", "tab", "shift+tab", "escape", "backspace", "delete",
    "home", "end", "pageup", "pagedown", "space", "f1", "f2", "f3", "f5", "f4", "f6", "f7", "f8",
    "f9", "ctrl+c", "w", "m", "a", "t", "c", "x", "e", "r", "p", "d", "1", "2", "3", "4",
    "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+u", "ctrl+w", "ctrl+p", "insert",
]  # fmt: skip
"""Special keys a person may hit; Ctrl+Q (quit) is left out on purpose."""
PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " éèàçëïü€"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


NAMED_CHARACTERS = {"enter": "\r", "tab": "\t", "space": " ", "escape": "\x1b"}


def key_event(key: str) -> events.Key:
    """The event a terminal gives for `key` (a name like "up", or one character)."""
    if len(key) == 1:
        return events.Key(_character_to_key(key), key)
    return events.Key(key, NAMED_CHARACTERS.get(key))


def scanner_burst(rng: random.Random, lab: Lab) -> list[str]:
    """What a scanner might type: a real badge, a member number, a PIN, or garbage; then Enter."""
    choice = rng.random()
    if choice < 0.3:
        badge = rng.choice([lab.fr_maker, lab.nl_maker, lab.en_maker, lab.manager]).badge_id or ""
        return ["enter", *badge, "enter"]  # what was typed before is flushed first
    elif choice < 0.4:
        value = lab.nl_maker.member_number
    elif choice < 0.5:
        value = MANAGER_PIN
    else:
        value = "".join(rng.choice(PRINTABLE) for _ in range(rng.randrange(1, 90)))
    return [*value, "enter"]


async def test_random_keys_and_scans_leave_the_kiosk_running(
    lab: Lab, make_app: MakeApp, ticker: Ticker
) -> None:
    rng = random.Random(14)
    app = make_app(language="fr", idle_seconds=30)
    count = 0
    seen: set[str] = set()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        while count < EVENTS:
            roll = rng.random()
            if roll < 0.15:
                keys = scanner_burst(rng, lab)
            elif roll < 0.55:
                keys = [rng.choice(KEYS) for _ in range(rng.randrange(1, 6))]
            else:
                keys = [rng.choice(PRINTABLE) for _ in range(rng.randrange(1, 8))]
            for key in keys:
                app.post_message(key_event(key))
            count += len(keys)
            if rng.random() < 0.3:  # a person pauses; keys typed meanwhile queue up
                await pilot.pause()
            if rng.random() < 0.05:
                ticker.advance(rng.choice([5, 31]))  # sometimes the idle time-out strikes
            if rng.random() < 0.04:
                await settle(pilot)
            assert app.is_running
            assert not isinstance(app.screen, OopsScreen), app.incidents
            seen.add(type(app.screen).__name__)
        await settle(pilot)
        assert app.is_running
        assert app.incidents == []
    assert {"WelcomeScreen", "BoardScreen", "ManagerLoginScreen", "BookScreen"} <= seen


FORM_KEYS = [k for k in KEYS if k not in {"escape", "ctrl+c"}]
"""What a person types into a screen's form, without leaving it."""


@pytest.mark.parametrize(
    ("path", "screen"),
    [
        (["m"], "MeScreen"),
        (["m", "d"], "DisputeScreen"),
        (["p"], "ProblemScreen"),
        (["h"], "HandOverScreen"),
        (["enter"], "BookScreen"),
    ],
)
async def test_random_keys_on_each_form_leave_the_kiosk_running(
    lab: Lab, make_app: MakeApp, path: list[str], screen: str
) -> None:
    """Each form of the board's maker gets random keys and text first: the random walk above
    reaches the deeper screens only by chance."""
    rng = random.Random(screen)
    app = make_app(language="nl")
    async with app.run_test(size=SIZE) as pilot:
        await open_board(pilot, lab.nl_maker.badge_id or "")
        for key in path:
            await pilot.press(key)
            await settle(pilot)
        assert type(app.screen).__name__ == screen
        for _ in range(300):
            keys = rng.choice([FORM_KEYS, list(PRINTABLE)])
            for key in [rng.choice(keys) for _ in range(rng.randrange(1, 6))]:
                app.post_message(key_event(key))
            if rng.random() < 0.3:
                await pilot.pause()
            assert not isinstance(app.screen, OopsScreen), app.incidents
        await settle(pilot)
        assert app.is_running
        assert app.incidents == []
