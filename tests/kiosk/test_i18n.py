"""The catalogues are complete: every msgid of the kiosk and every template the services raise is
translated in French, Dutch and English, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from fabdesk import i18n
from fabdesk.errors import Count, NotFound, RuleViolation, Violation
from fabdesk.i18n import LANGUAGES, catalogue_path, parse_po, read_catalogue, render_po, translator
from scheduling.letters import BOOKINGS_CANCELLED
from tests.kiosk.msgids import all_msgids, kiosk_msgids, service_msgids


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_the_sources_give_msgids() -> None:
    assert len(kiosk_msgids()) > 20
    found, _ = service_msgids()
    assert "This badge is not known here." in {f.msgid for f in found}


def test_every_service_template_is_a_literal_the_catalogues_can_hold() -> None:
    _, unreadable = service_msgids()
    assert unreadable == [], "templates must be string literals (or module constants)"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_translated(language: str) -> None:
    entries = parse_po(catalogue_path(language).read_text(encoding="utf-8"))
    missing = {m: where for m, where in all_msgids().items() if not entries.get(m)}
    assert missing == {}, (
        f"{len(missing)} msgids lack a {language} translation; run "
        "`python -m tests.kiosk.msgids` and translate the empty entries"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language: str) -> None:
    entries = parse_po(catalogue_path(language).read_text(encoding="utf-8"))
    wrong = {m: t for m, t in entries.items() if t and _fields(m) != _fields(t)}
    assert wrong == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_are_valid_gettext(language: str) -> None:
    """Babel's own checks (placeholders, plural forms) find nothing, and the header says the
    language's plural rule."""
    from babel.messages.catalog import Catalog

    catalogue = read_catalogue(catalogue_path(language).read_text(encoding="utf-8"), language)
    assert isinstance(catalogue, Catalog)
    assert catalogue.num_plurals == 2
    problems = [(message.id, errors) for message, errors in catalogue.check() if errors]
    assert problems == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("fr", ["0 trouvé", "1 trouvé", "2 trouvés", "1 manquant", "3 manquants"]),
        ("nl", ["0 gevonden", "1 gevonden", "2 gevonden", "1 ontbreekt", "3 ontbreken"]),
        ("en", ["0 found", "1 found", "2 found", "1 missing", "3 missing"]),
    ],
)
def test_counts_take_the_plural_form_of_each_language(language: str, said: list[str]) -> None:
    words = translator(language)
    found = [words.ngettext("{n} found", "{n} found", n).format(n=n) for n in (0, 1, 2)]
    missing = [words.ngettext("{n} missing", "{n} missing", n).format(n=n) for n in (1, 3)]
    assert found + missing == said


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_plural_msgid_is_translated(language: str) -> None:
    from babel.messages.catalog import Catalog

    from fabdesk.accounting.close import SESSIONS_WAITING
    from inventory.import_plan import PROBLEMS
    from kiosk.screens.audit import COUNTS
    from scheduling.letters import PLURALS

    catalogue = read_catalogue(catalogue_path(language).read_text(encoding="utf-8"), language)
    assert isinstance(catalogue, Catalog)
    plurals = [
        *COUNTS.values(),
        ("Cancelled in {n} second: press U to undo.", "Cancelled in {n} seconds: press U to undo."),
        *PLURALS,
        SESSIONS_WAITING,
        PROBLEMS,
    ]
    for singular, plural in plurals:
        message = catalogue.get((singular, plural)) or catalogue.get(singular)
        assert message is not None, singular
        assert message.pluralizable, singular
        assert isinstance(message.string, tuple | list)
        assert all(message.string), f"{singular!r} lacks a {language} form"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_count_is_written_with_a_plural_in_brackets(language: str) -> None:
    """No "booking(s)", "réservation(s) annulée(s)", "reservering(en)": a count takes the plural
    form of the reader's language instead (`Count`, `Translator.ngettext`)."""
    bracketed = re.compile(r"\w\((s|e|es|en)\)(?<!http\(s\))")
    entries = parse_po(catalogue_path(language).read_text(encoding="utf-8"))
    found = [m for m, t in entries.items() if bracketed.search(m) or bracketed.search(t)]
    assert found == []


@pytest.mark.parametrize(
    ("language", "one", "three"),
    [
        (
            "fr",
            "Laser est en panne ; 1 réservation a été annulée et son membre prévenu.",
            "Laser est en panne ; 3 réservations ont été annulées et leurs membres prévenus.",
        ),
        (
            "nl",
            "Laser is defect; 1 reservering is geannuleerd en haar lid verwittigd.",
            "Laser is defect; 3 reserveringen zijn geannuleerd en hun leden verwittigd.",
        ),
        (
            "en",
            "Laser is out of order; 1 booking was cancelled and its maker told.",
            "Laser is out of order; 3 bookings were cancelled and their makers told.",
        ),
    ],
)
def test_a_count_in_a_sentence_is_said_in_the_readers_plural(
    language: str, one: str, three: str
) -> None:
    """The kiosk's machines screen says how many bookings an outage cancelled."""
    words = translator(language)
    sentence = words.gettext("{machine} is out of order; {cancelled}.")
    said = [
        sentence.format(
            machine="Laser", cancelled=Count(BOOKINGS_CANCELLED, n).in_language(language)
        )
        for n in (1, 3)
    ]
    assert said == [one, three]
    assert f"{Count(BOOKINGS_CANCELLED, 1)}" == "1 booking was cancelled and its maker told"


@pytest.mark.parametrize(
    ("language", "shown"), [("fr", "46,00\u00a0€"), ("nl", "€\u00a046,00"), ("en", "€46.00")]
)
def test_money_in_the_brussels_form_of_each_language(language: str, shown: str) -> None:
    assert translator(language).money(4600) == shown


def test_the_po_reader_round_trips() -> None:
    entries = {'Say "hi"\n': 'Dis "salut"\n', "{n} left": "{n} restants", "Back": "Retour"}
    header = 'msgid ""\nmsgstr ""\n"Language: fr\\n"'
    assert parse_po(render_po(header, entries), "fr") == entries


def test_fuzzy_entries_count_as_untranslated() -> None:
    text = 'msgid ""\nmsgstr ""\n\n#, fuzzy\nmsgid "Back"\nmsgstr "Retour"\n'
    assert parse_po(text) == {"Back": ""}


def test_errors_are_rendered_in_the_language_asked() -> None:
    error = NotFound("This badge is not known here.", error_code="badge_unknown")
    assert error.render(translator("nl").gettext).startswith("Deze badge is hier niet bekend.")
    refusal = RuleViolation(
        [
            Violation(
                "pin", "A PIN is {shortest} to {longest} digits.", {"shortest": 4, "longest": 8}
            )
        ]
    )
    assert refusal.render(translator("fr").gettext) == "Un code PIN compte de 4 à 8 chiffres."


def test_a_catalogue_is_compiled_once_and_again_when_edited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compiled catalogue is kept under the hash of the .po's text: the next start reads it,
    an edited .po is compiled anew (the old one removed), a read-only cache changes nothing."""
    folder = tmp_path / "po"
    folder.mkdir()
    po = folder / "fr.po"
    po.write_bytes(i18n.catalogue_path("fr").read_bytes())
    monkeypatch.setattr(i18n, "FOLDER", folder)
    cache = tmp_path / "cache"
    first = i18n.compiled("fr", cache)
    kept = list(cache.glob("fr-*.mo"))
    assert len(kept) == 1
    assert kept[0].read_bytes() == first
    assert i18n.compiled("fr", cache) == first
    po.write_text(
        po.read_text(encoding="utf-8").replace('msgstr "Bienvenue', 'msgstr "Salut'),
        encoding="utf-8",
    )
    again = i18n.compiled("fr", cache)
    assert again != first
    assert b"Salut" in again
    assert [path.read_bytes() for path in cache.glob("fr-*.mo")] == [again]
    locked = tmp_path / "locked"
    locked.write_text("a file where the folder should be", encoding="utf-8")
    assert i18n.compiled("fr", locked / "i18n") == again


def test_two_installations_keep_their_own_compiled_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two checkouts (or versions) on one machine share the user's cache folder: each keeps its
    compiled catalogue, so neither compiles again at every start after the other ran."""
    cache = tmp_path / "cache"
    made = {}
    for name, greeting in (("one", "Bienvenue"), ("two", "Salut")):
        folder = tmp_path / name
        folder.mkdir()
        text = i18n.catalogue_path("fr").read_text(encoding="utf-8")
        (folder / "fr.po").write_text(
            text.replace('msgstr "Bienvenue', f'msgstr "{greeting}'), encoding="utf-8"
        )
        monkeypatch.setattr(i18n, "FOLDER", folder)
        made[name] = i18n.compiled("fr", cache)
    assert len(list(cache.glob("fr-*.mo"))) == 2
    assert sorted(path.read_bytes() for path in cache.glob("fr-*.mo")) == sorted(made.values())
