"""The kiosk's languages: gettext catalogues (fr.po, nl.po, en.po beside this file) read by a
tiny loader, so no build step is needed.

`_` marks and translates a msgid in the kiosk (through the app's current language); `N_` only marks
a msgid for the catalogues, to be translated later. The msgids are English sentences, the same
English templates that `FabdeskError` and `Violation` carry, so a service's refusal is translated
with the same catalogue.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final, Literal

Language = Literal["fr", "nl", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("fr", "nl", "en")
FOLDER: Final = Path(__file__).parent


def N_(msgid: str) -> str:
    """Mark `msgid` for the catalogues without translating it (translate it when shown)."""
    return msgid


def catalogue_path(language: str) -> Path:
    return FOLDER / f"{language}.po"


def _unquote(token: str) -> str:
    value = ast.literal_eval(token)
    if not isinstance(value, str):
        raise ValueError(f"not a string: {token}")
    return value


def parse_po(text: str) -> dict[str, str]:
    """The msgid -> msgstr pairs of a .po file (no plurals, no contexts: the kiosk uses none).

    The header (empty msgid) is left out; fuzzy entries count as untranslated.
    """
    entries: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = False

    def flush() -> None:
        nonlocal msgid, msgstr, fuzzy
        if msgid is not None and msgstr is not None:
            key = "".join(msgid)
            if key:
                entries[key] = "" if fuzzy else "".join(msgstr)
        msgid = msgstr = None
        fuzzy = False

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if msgstr is not None:
                flush()
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        if line.startswith("msgid "):
            if msgstr is not None:
                keep_fuzzy = fuzzy
                flush()
                fuzzy = keep_fuzzy
            msgid = [_unquote(line[6:])]
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [_unquote(line[7:])]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(_unquote(line))
        else:
            raise ValueError(f"cannot read this .po line: {raw!r}")
    flush()
    return entries


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def render_po(language: str, entries: Mapping[str, str]) -> str:
    """A .po file with `entries` in msgid order (used to add new msgids to the catalogues)."""
    lines = [
        f"# fabdesk kiosk, {language}.",
        'msgid ""',
        'msgstr ""',
        '"Project-Id-Version: fabdesk kiosk\\n"',
        '"PO-Revision-Date: 2026-11-24 00:00+0000\\n"',
        '"Last-Translator: fabdesk <kiosk@fabdesk.invalid>\\n"',
        '"Language-Team: fabdesk\\n"',
        '"MIME-Version: 1.0\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Content-Transfer-Encoding: 8bit\\n"',
        f'"Language: {language}\\n"',
        "",
    ]
    for msgid in sorted(entries):
        lines += [f"msgid {_quote(msgid)}", f"msgstr {_quote(entries[msgid])}", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class Translator:
    """Translates msgids into one language; a msgid missing from the catalogue stays English."""

    language: str
    entries: Mapping[str, str]

    def gettext(self, msgid: str) -> str:
        return self.entries.get(msgid) or msgid


@cache
def translator(language: str) -> Translator:
    """The translator of `language` (catalogue read once per process)."""
    path = catalogue_path(language if language in LANGUAGES else "en")
    return Translator(language, parse_po(path.read_text(encoding="utf-8")))
