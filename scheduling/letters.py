"""Every message sent to a maker, written in their language when it is put in the outbox.

A letter is a subject and a body template (English msgids, translated by the one set of catalogues
in `fabdesk.i18n`) filled with plain values: moments (aware datetimes) are said in the site's zone
as people say them ("sam. 12 déc. 18:00"), days as "sam. 12 déc. 2026", amounts in cents as
"46,00 €", and names given in every language (`Localized`) in the reader's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fabdesk.errors import Localized
from fabdesk.i18n import N_, Translator, translator


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str


@dataclass(frozen=True)
class Cents:
    """An amount in cents, said in the reader's form of euros."""

    value: int


LETTERS: Mapping[str, Letter] = {
    "booking_reminder": Letter(
        N_("Reminder: {machine}, {starts}"),
        N_("Your booking of {machine} starts {starts} and ends at {ends}."),
    ),
    "booking_cancelled_outage": Letter(
        N_("Cancelled: {machine}, {starts}"),
        N_(
            "Your booking of {machine} from {starts} to {ends} is cancelled: the machine is out "
            "of order ({reason}). Book another time or another machine at the kiosk."
        ),
    ),
    "maintenance_conflict": Letter(
        N_("Maintenance: {machine}, {starts}"),
        N_(
            "{machine} is due for maintenance during your booking from {starts} to {ends} "
            "({reason}): the lab will contact you."
        ),
    ),
    "waitlist_offer": Letter(
        N_("{machine} is free {starts}"),
        N_(
            "The time you waited for on {machine} ({starts} to {ends}) is free. Confirm it at "
            "the kiosk before {expires}."
        ),
    ),
    "certification_expiry": Letter(
        N_("Your {category} training expires on {day}"),
        N_(
            "Your {category} training expires on {day}. Ask the lab for a refresher to keep "
            "booking these machines."
        ),
    ),
    "training_lapse": Letter(
        N_("Your {category} training lapses on {day}"),
        N_(
            "You have not used a {category} machine since {since}: your training lapses on "
            "{day}. Book a machine before then to keep it."
        ),
    ),
    "training_cancelled": Letter(
        N_("Cancelled: {category} training, {starts}"),
        N_("The {category} training of {starts} is cancelled: too few participants."),
    ),
    "dispute_accepted": Letter(
        N_("Your dispute of {amount} was accepted"),
        N_("Your dispute of the charge of {amount} was accepted: the charge is cancelled."),
    ),
    "dispute_refused": Letter(
        N_("Your dispute of {amount} was refused"),
        N_("Your dispute of the charge of {amount} was refused."),
    ),
}
"""The letter of each kind of notification sent to a maker."""

NO_REASON = N_("no details given")
"""Said where a letter's `reason` (a person's words) was left empty."""


def say(value: Any, words: Translator, timezone: str) -> Any:
    """A parameter as the reader says it."""
    if isinstance(value, Localized):
        return value.in_language(words.language)
    if isinstance(value, datetime):
        return words.when(value, timezone)
    if isinstance(value, date):
        return words.day(value)
    if isinstance(value, Cents):
        return words.money(value.value)
    return value


def render(
    kind: str, language: str, params: Mapping[str, Any], *, timezone: str, note: str = ""
) -> tuple[str, str]:
    """The subject and body of the letter `kind` in `language`; `note` (a person's own words,
    such as a manager's reason) follows the body as written."""
    letter = LETTERS[kind]
    words = translator(language)
    shown = {key: say(value, words, timezone) for key, value in params.items()}
    if shown.get("reason") == "":
        shown["reason"] = words.gettext(NO_REASON)
    subject = words.gettext(letter.subject).format(**shown)
    body = words.gettext(letter.body).format(**shown)
    return subject, f"{body}\n{note}" if note else body
