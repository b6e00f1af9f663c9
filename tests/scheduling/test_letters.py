"""Every letter to a maker reads in their language: no English in French or Dutch, no ISO time
stamps, amounts with the decimal comma of fr-BE and nl-BE, times in the site's zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from fabdesk.errors import Localized
from fabdesk.i18n import LANGUAGES
from scheduling.letters import LETTERS, Cents, render

ZONE = "Europe/Brussels"
PARAMS = {
    "machine": "Trotec Speedy 360 #1",
    "starts": datetime(2026, 12, 12, 17, 0, tzinfo=UTC),  # 18:00 in Brussels
    "ends": datetime(2026, 12, 12, 19, 0, tzinfo=UTC),
    "expires": datetime(2026, 12, 11, 17, 30, tzinfo=UTC),
    "reason": "",
    "category": Localized(en="CO2 laser cutter", fr="Découpeuse laser CO2", nl="CO2-lasersnijder"),
    "day": date(2026, 12, 12),
    "since": date(2026, 9, 1),
    "amount": Cents(4600),
}
ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T|\s\d)")
ENGLISH_WORDS = re.compile(r"\b(your|booking|training|the|from|cancelled|free|dispute|details)\b")


def _letters() -> list[tuple[str, str]]:
    return [(kind, language) for kind in LETTERS for language in LANGUAGES]


@pytest.mark.parametrize(("kind", "language"), _letters())
def test_each_letter_reads_in_its_language(kind: str, language: str) -> None:
    subject, body = render(kind, language, PARAMS, timezone=ZONE)
    text = f"{subject}\n{body}"
    assert not ISO.search(text), text
    assert "{" not in text
    assert "17:00" not in text, "times are said in the site's zone"
    if language != "en":
        assert (subject, body) != render(kind, "en", PARAMS, timezone=ZONE)
        assert not ENGLISH_WORDS.search(text.lower()), text
        assert "CO2 laser cutter" not in text
        assert "46.00" not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Votre réservation de Trotec Speedy 360 #1 commence sam. 12 déc. 18:00"),
        ("nl", "Uw reservatie van Trotec Speedy 360 #1 begint za 12 dec 18:00"),
        ("en", "Your booking of Trotec Speedy 360 #1 starts Sat 12 Dec 18:00"),
    ],
)
def test_a_reminder_says_the_local_day_and_time(language: str, expected: str) -> None:
    _, body = render("booking_reminder", language, PARAMS, timezone=ZONE)
    assert body.startswith(expected)


def test_amounts_take_the_local_form() -> None:
    assert "46,00\u00a0€" in render("dispute_refused", "fr", PARAMS, timezone=ZONE)[1]
    assert "€\u00a046,00" in render("dispute_refused", "nl", PARAMS, timezone=ZONE)[1]
    assert "€46.00" in render("dispute_refused", "en", PARAMS, timezone=ZONE)[1]


def test_a_persons_own_words_follow_the_letter_as_written() -> None:
    _, body = render("dispute_refused", "nl", PARAMS, timezone=ZONE, note="Job ran as booked.")
    assert body.endswith("\nJob ran as booked.")
