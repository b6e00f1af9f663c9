"""Every message sent to a person (a maker, a manager, the managers' desk), written in the
reader's language when it is put in the outbox.

A letter is a subject and a body template (English msgids, translated by the one set of catalogues
in `fabdesk.i18n`) filled with plain values: moments (aware datetimes) are said in the site's zone
as people say them ("sam. 12 déc. 18:00"), days as "sam. 12 déc. 2026", amounts in cents as
"46,00 €", counts with the plural of the reader's language (`Count`: "1 jour", "3 jours"), words
of a closed list as msgids (`Word`), and names given in every language (`Localized`) in the
reader's. A letter with an `item` template lists `params["items"]` (each a mapping of values),
one line each, after its body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fabdesk.errors import Count, Localized
from fabdesk.i18n import N_, Translator, translator


@dataclass(frozen=True)
class Letter:
    subject: str
    body: str
    item: str = ""
    """The line of each entry of `params["items"]`, listed after the body."""


@dataclass(frozen=True)
class Cents:
    """An amount in cents, said in the reader's form of euros."""

    value: int


@dataclass(frozen=True)
class Word:
    """A msgid (one of a closed list, such as a machine's state), translated for the reader."""

    msgid: str


DAYS_LATE = ("{n} day late", "{n} days late")
BOOKINGS_CANCELLED = (
    "{n} booking was cancelled and its maker told",
    "{n} bookings were cancelled and their makers told",
)
PLURALS: tuple[tuple[str, str], ...] = (DAYS_LATE, BOOKINGS_CANCELLED)
"""The singular and plural msgids of the counts said in letters (plural entries of the
catalogues)."""

MACHINE_STATES: Mapping[str, str] = {
    "idle": N_("idle"),
    "running": N_("running"),
    "paused": N_("paused"),
    "alarm": N_("in alarm"),
    "offline": N_("offline"),
    "unknown": N_("unknown"),
}
"""A driver's last reported state (`fabdesk.wire.MachineState`), as a letter says it."""

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
    "machine_offline": Letter(
        N_("{machine}: its driver is silent"),
        N_(
            "No word from the driver of {machine} since {last_seen} (last state: {state}). "
            "Check the Raspberry Pi, its network and the machine's cable."
        ),
    ),
    "problem_serious": Letter(
        N_("Out of order: {machine} ({tag})"),
        N_(
            "Problem {problem} was reported on {machine} ({tag}): the machine is out of order "
            "and {cancelled}. The report says:"
        ),
    ),
    "overdue_loans": Letter(
        N_("Loans overdue on {day}: {count}"),
        N_("These items are not back from their loan:"),
        item=N_("{tag} {name} ({site}): lent to {borrower}, due back {due}, {late}"),
    ),
}
"""The letter of each kind of notification sent to a person."""

NO_REASON = N_("no details given")
"""Said where a letter's `reason` (a person's words) was left empty."""


def say(value: Any, words: Translator, timezone: str) -> Any:
    """A parameter as the reader says it."""
    if isinstance(value, Localized | Count):
        return value.in_language(words.language)
    if isinstance(value, datetime):
        return words.when(value, timezone)
    if isinstance(value, date):
        return words.day(value)
    if isinstance(value, Cents):
        return words.money(value.value)
    if isinstance(value, Word):
        return words.gettext(value.msgid)
    return value


def _said(params: Mapping[str, Any], words: Translator, timezone: str) -> dict[str, Any]:
    return {key: say(value, words, timezone) for key, value in params.items()}


def render(
    kind: str, language: str, params: Mapping[str, Any], *, timezone: str, note: str = ""
) -> tuple[str, str]:
    """The subject and body of the letter `kind` in `language`; `note` (a person's own words,
    such as a manager's reason) follows the body as written."""
    letter = LETTERS[kind]
    words = translator(language)
    shown = _said(params, words, timezone)
    if shown.get("reason") == "":
        shown["reason"] = words.gettext(NO_REASON)
    subject = words.gettext(letter.subject).format(**shown)
    lines = [words.gettext(letter.body).format(**shown)]
    if letter.item:
        item = words.gettext(letter.item)
        lines += [f"- {item.format(**_said(entry, words, timezone))}" for entry in params["items"]]
    if note:
        lines.append(note)
    return subject, "\n".join(lines)
