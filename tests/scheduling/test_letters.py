"""Every letter to a person (a maker, a manager, the managers' desk) reads in their language: no
English in French or Dutch, no ISO time stamps, amounts with the decimal comma of fr-BE and nl-BE,
counts with the plural of the language, times in the site's zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from fabdesk.errors import Count, Localized
from fabdesk.i18n import LANGUAGES
from scheduling.letters import (
    BOOKINGS_CANCELLED,
    DAYS_LATE,
    LETTERS,
    MACHINE_STATES,
    Cents,
    Word,
    render,
)

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
    "last_seen": datetime(2026, 12, 6, 9, 0, tzinfo=UTC),  # 10:00 in Brussels
    "state": Word(MACHINE_STATES["running"]),
    "tag": "CF1-00001-R",
    "problem": 7,
    "cancelled": Count(BOOKINGS_CANCELLED, 2),
    "count": 2,
    "items": [
        {
            "tag": "CF1-00009-T",
            "name": "Perceuse Makita",
            "site": "cityfab1",
            "borrower": "Atelier Nord",
            "due": date(2026, 12, 5),
            "late": Count(DAYS_LATE, 1),
        },
        {
            "tag": "CF1-00012-T",
            "name": "Scie sauteuse",
            "site": "cityfab1",
            "borrower": "École 12",
            "due": date(2026, 12, 3),
            "late": Count(DAYS_LATE, 3),
        },
    ],
}
ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T|\s\d)")
ENGLISH_WORDS = re.compile(
    r"\b(your|booking|bookings|training|the|from|cancelled|free|dispute|details|since|state|"
    r"running|lent|late|days?|loans?|items|were|was|silent|reported|check)\b"
)
DECIMAL_POINT = re.compile(r"\d\.\d")


def _letters() -> list[tuple[str, str]]:
    return [(kind, language) for kind in LETTERS for language in LANGUAGES]


@pytest.mark.parametrize(("kind", "language"), _letters())
def test_each_letter_reads_in_its_language(kind: str, language: str) -> None:
    subject, body = render(kind, language, PARAMS, timezone=ZONE)
    text = f"{subject}\n{body}"
    assert not ISO.search(text), text
    assert "{" not in text
    assert "17:00" not in text, "times are said in the site's zone"
    assert "09:00" not in text, "times are said in the site's zone"
    assert "UTC" not in text
    assert "(s)" not in text, "counts take the plural form of the language"
    if language != "en":
        assert (subject, body) != render(kind, "en", PARAMS, timezone=ZONE)
        assert not ENGLISH_WORDS.search(text.lower()), text
        assert "CO2 laser cutter" not in text
        assert not DECIMAL_POINT.search(text), text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "Votre réservation de Trotec Speedy 360 #1 commence sam. 12 déc. 18:00"),
        ("nl", "Uw reservering van Trotec Speedy 360 #1 begint za 12 dec 18:00"),
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


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "- CF1-00012-T Scie sauteuse (cityfab1) : prêté à École 12, à rendre le jeu. 3 déc. "
            "2026, 3 jours de retard",
        ),
        (
            "nl",
            "- CF1-00012-T Scie sauteuse (cityfab1): uitgeleend aan École 12, terug te brengen op "
            "do 3 dec 2026, 3 dagen te laat",
        ),
        (
            "en",
            "- CF1-00012-T Scie sauteuse (cityfab1): lent to École 12, due back Thu 3 Dec 2026, "
            "3 days late",
        ),
    ],
)
def test_the_managers_list_of_overdue_loans_says_each_item(language: str, expected: str) -> None:
    _, body = render("overdue_loans", language, PARAMS, timezone=ZONE)
    lines = body.splitlines()
    assert len(lines) == 3
    assert lines[2] == expected
    assert ("1 jour de retard", "1 dag te laat", "1 day late")[
        ("fr", "nl", "en").index(language)
    ] in lines[1]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", "depuis dim. 6 déc. 10:00 (dernier état : en marche)"),
        ("nl", "sinds zo 6 dec 10:00 (laatste toestand: in werking)"),
        ("en", "since Sun 6 Dec 10:00 (last state: running)"),
    ],
)
def test_a_silent_driver_is_told_in_the_desks_language(language: str, expected: str) -> None:
    _, body = render("machine_offline", language, PARAMS, timezone=ZONE)
    assert expected in body


def test_a_serious_problem_counts_the_cancelled_bookings_and_quotes_the_report() -> None:
    _, body = render("problem_serious", "fr", PARAMS, timezone=ZONE, note="De la fumée !")
    assert "2 réservations ont été annulées et leurs membres prévenus" in body
    assert body.endswith("Le signalement dit :\nDe la fumée !")
