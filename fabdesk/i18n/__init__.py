"""Every word a person reads, in their language: one set of gettext catalogues (fr.po, nl.po, en.po
beside this file) for the kiosk, the refusals of the services and every message sent to a person,
read with Babel (plural forms included, no build step: each catalogue is compiled when first read
and kept in the user's cache folder under the hash of its text), and Babel's local forms of money,
dates and times (fr_BE, nl_BE, en_GB).

`N_` only marks a msgid for the catalogues, to be translated when shown. The msgids are English
sentences, the same English templates that `FabdeskError` and `Violation` carry, so a service's
refusal is translated with the same catalogue. One term per idea per language: see the glossary in
each catalogue's header comment.
"""

from __future__ import annotations

import ast
import gettext
import hashlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Final, Literal
from zoneinfo import ZoneInfo

Language = Literal["fr", "nl", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("fr", "nl", "en")
LOCALES: Final[Mapping[str, str]] = {"fr": "fr_BE", "nl": "nl_BE", "en": "en_GB"}
"""The Brussels forms of each language: `46,00 €`, `€ 46,00`, `€46.00`."""
FOLDER: Final = Path(__file__).parent


def N_(msgid: str) -> str:
    """Mark `msgid` for the catalogues without translating it (translate it when shown)."""
    return msgid


def catalogue_path(language: str) -> Path:
    return FOLDER / f"{language}.po"


def read_catalogue(text: str, language: str = "en") -> object:
    """The Babel catalogue of a .po text (`babel.messages.catalog.Catalog`)."""
    from babel.messages.pofile import read_po

    return read_po(io.StringIO(text), locale=language)


def parse_po(text: str, language: str = "en") -> dict[str, str]:
    """The msgid -> msgstr pairs of a .po text (singular messages); fuzzy entries count as
    untranslated, and the header (empty msgid) is left out."""
    from babel.messages.catalog import Catalog

    catalogue = read_catalogue(text, language)
    assert isinstance(catalogue, Catalog)
    return {
        str(message.id): "" if message.fuzzy else str(message.string or "")
        for message in catalogue
        if message.id and isinstance(message.id, str)
    }


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _block_msgid(block: str) -> str:
    """The msgid of one .po entry (its lines as written)."""
    parts: list[str] = []
    reading = False
    for line in block.splitlines():
        if line.startswith("msgid "):
            reading, line = True, line[len("msgid ") :]
        elif line.startswith(("msgid_plural", "msgstr")):
            break
        if reading and line.startswith('"'):
            parts.append(ast.literal_eval(line))
    return "".join(parts)


def render_po(text: str, entries: Mapping[str, str]) -> str:
    """The .po `text` with `entries` (singular msgid -> msgstr) added or replaced, in msgid order;
    its header (comments, glossary, plural forms) and its plural entries kept as written. Used to
    add msgids to the catalogues."""
    header, *blocks = text.strip("\n").split("\n\n")
    kept = {_block_msgid(block): block for block in blocks}
    for msgid, msgstr in entries.items():
        if "msgid_plural" not in kept.get(msgid, ""):
            kept[msgid] = f"msgid {_quote(msgid)}\nmsgstr {_quote(msgstr)}"
    return "\n\n".join([header, *(kept[msgid] for msgid in sorted(kept))]) + "\n"


def counted(n: int, noun: str) -> str:
    """`n` with its English noun, for a manager's English output (the CLI, the audit report):
    "1 usage session", "3 usage sessions" (the plural adds "s"). A person's own messages say
    counts with `Translator.ngettext` instead."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(frozen=True)
class Translator:
    """Translates msgids into one language; a msgid missing from the catalogue stays English.
    Amounts, dates and times come out in the language's Brussels form."""

    language: str
    translations: gettext.NullTranslations

    def gettext(self, msgid: str) -> str:
        return self.translations.gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """The form of `n` in this language (French says "1 trouvé", "0 trouvé" too)."""
        return self.translations.ngettext(singular, plural, n)

    @property
    def locale(self) -> str:
        return LOCALES.get(self.language, "en_GB")

    def money(self, amount: Decimal | int, *, cents: bool = True) -> str:
        """`4600` (cents) as "46,00 €" (fr), "€ 46,00" (nl), "€46.00" (en)."""
        from babel.numbers import format_currency

        value = Decimal(amount) / 100 if cents else Decimal(amount)
        return str(format_currency(value, "EUR", locale=self.locale))

    def amount(self, cents: int) -> str:
        """`123456` (cents) as a bare number of euros for a table whose heading says EUR:
        "1 234,56" (fr), "1.234,56" (nl), "1,234.56" (en)."""
        from babel.numbers import format_decimal

        return str(format_decimal(Decimal(cents) / 100, "#,##0.00", locale=self.locale))

    def when(self, moment: datetime, timezone: str) -> str:
        """A moment as people say it in the site's zone: "sam. 12 déc. 18:00"."""
        from babel.dates import format_datetime

        return str(
            format_datetime(
                moment, "EEE d MMM HH:mm", tzinfo=ZoneInfo(timezone), locale=self.locale
            )
        )

    def day(self, value: date) -> str:
        """A day as people say it: "sam. 12 déc. 2026"."""
        from babel.dates import format_date

        return str(format_date(value, "EEE d MMM y", locale=self.locale))

    def time(self, moment: datetime, timezone: str) -> str:
        """A time of day in the site's zone: "18:00"."""
        return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


@cache
def translator(language: str) -> Translator:
    """The translator of `language` (catalogue read once per process)."""
    known = language if language in LANGUAGES else "en"
    return Translator(language, gettext.GNUTranslations(io.BytesIO(compiled(known))))


def compiled(language: str, cache_dir: Path | None = None) -> bytes:
    """The catalogue of `language` compiled to gettext's binary form. Reading the .po with Babel
    takes tens of milliseconds at every start (the kiosk's first frame waits for it); the
    compiled form is kept in `cache_dir` (the user's cache folder) under the hash of the .po's
    text, so an edited catalogue is compiled anew, and under the .po's place, so that two
    installations on one machine (two versions, a test checkout) keep their own instead of
    evicting each other's at every start. Without a writable cache, compiled here."""
    path = catalogue_path(language)
    source = path.read_bytes()
    if cache_dir is None:
        import platformdirs

        cache_dir = Path(platformdirs.user_cache_dir("fabdesk", appauthor=False)) / "i18n"
    place = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    cached = cache_dir / f"{language}-{place}-{hashlib.sha256(source).hexdigest()[:16]}.mo"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    import tempfile

    from babel.messages.mofile import write_mo

    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(source.decode("utf-8"), language))  # type: ignore[arg-type]
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for stale in cache_dir.glob(f"{language}-{place}-*.mo"):
            stale.unlink(missing_ok=True)
        with tempfile.NamedTemporaryFile(dir=cache_dir, suffix=".tmp", delete=False) as file:
            file.write(buffer.getvalue())
        os.replace(file.name, cached)  # whole or not at all, when kiosks start together
    except OSError:
        pass  # a read-only home: compiled at each start, as before the cache
    return buffer.getvalue()
