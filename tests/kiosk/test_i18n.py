"""The catalogues are complete: every msgid of the kiosk and every template the services raise is
translated in French, Dutch and English, with the same placeholders."""

from __future__ import annotations

import shutil
import string
import subprocess

import pytest

from fabdesk.errors import NotFound, RuleViolation, Violation
from kiosk.i18n import LANGUAGES, catalogue_path, parse_po, render_po, translator
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


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_are_valid_gettext(language: str) -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(catalogue_path(language))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_po_reader_round_trips() -> None:
    entries = {'Say "hi"\n': 'Dis "salut"\n', "{n} left": "{n} restants", "Back": "Retour"}
    assert parse_po(render_po("fr", entries)) == entries


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
