"""Register files as people make them: `.xlsx` workbooks and CSV files saved by Excel in any locale.

A file becomes a `Table`: the register column of each of its columns (headers may be the column
names or words in English, French or Dutch: "Asset tag", "Étiquette", "Aankoopdatum"…), then its
non-blank rows, each with the line number and the spreadsheet column letter a person sees. CSV
text is decoded from its byte-order mark, as UTF-8, or as charset-normalizer guesses (Windows-1252,
UTF-16…), and its separator (`,` `;` tab `|`) is sniffed. Values people type are read as they type
them: euros with a decimal comma or point (`1 234,56`, `1.234,56`, `1234.56`), shares in percent
(`REGION:50;CITY:50`, hours after a second colon).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from inventory.fields import FieldProblem, as_text
from inventory.investors import FULL, ShareSpec

COLUMNS = [
    "asset_tag",
    "site",
    "location",
    "category",
    "name",
    "make",
    "model",
    "serial_number",
    "acquired_on",
    "acquisition_cost_eur",
    "expected_life_years",
    "training_category_code",
    "bookable",
    "status",
    "lent_to",
    "lent_until",
    "rate_eur_per_hour",
    "billing_unit_minutes",
    "minimum_charge_eur",
    "maintenance_every_days",
    "maintenance_every_hours",
    "last_maintenance_on",
    "last_seen_on",
    "next_audit_due_on",
    "notes",
    "manual_urls",
    "shares",
]
"""Columns of the register's files, in order. Money is in euros (`1234.56`), shares in percent:
`REGION:50;CITY:50:40` is investor code, percent and optional usage hours a year."""

READABLE = {
    "asset_tag": "Asset tag",
    "site": "Site",
    "location": "Location",
    "category": "Category",
    "name": "Name",
    "make": "Make",
    "model": "Model",
    "serial_number": "Serial number",
    "acquired_on": "Acquired on",
    "acquisition_cost_eur": "Acquisition cost (€)",
    "expected_life_years": "Expected life (years)",
    "training_category_code": "Training category",
    "bookable": "Bookable",
    "status": "Status",
    "lent_to": "Lent to",
    "lent_until": "Lent until",
    "rate_eur_per_hour": "Rate (€ per hour)",
    "billing_unit_minutes": "Billing unit (minutes)",
    "minimum_charge_eur": "Minimum charge (€)",
    "maintenance_every_days": "Maintenance every (days)",
    "maintenance_every_hours": "Maintenance every (hours)",
    "last_maintenance_on": "Last maintenance on",
    "last_seen_on": "Last seen on",
    "next_audit_due_on": "Next audit due on",
    "notes": "Notes",
    "manual_urls": "Manuals",
    "shares": "Shares (%)",
}
"""The header a person reads, as the `.xlsx` export writes it; the import reads it back."""

_WORDS = {
    "asset_tag": "tag etiquette etiket inventaris inventarisnummer numerodinventaire label",
    "site": "lab fablab vestiging",
    "location": "emplacement lieu locatie plaats local lokaal room",
    "category": "categorie type",
    "name": "nom naam designation omschrijving",
    "make": "brand manufacturer marque fabricant merk fabrikant",
    "model": "modele",
    "serial_number": "serial numerodeserie serienummer",
    "acquired_on": "acquired purchasedate dateachat datedachat aankoopdatum",
    "acquisition_cost_eur": "acquisitioncost cost price purchaseprice cout coutdachat prix "
    "prixdachat aankoopprijs aankoopwaarde kostprijs prijs",
    "expected_life_years": "expectedlife lifeyears dureedevie dureedevieans levensduur "
    "levensduurjaren",
    "training_category_code": "trainingcategory formation categoriedeformation opleiding "
    "opleidingscategorie",
    "bookable": "reservable reserveerbaar",
    "status": "statut etat toestand",
    "lent_to": "preta pretea emprunteur uitgeleendaan ontlener",
    "lent_until": "pretjusquau retourle uitgeleendtot terugop",
    "rate_eur_per_hour": "rateperhour rate tarifhoraire tarifparheure tarif uurtarief tarief",
    "billing_unit_minutes": "billingunit unitedefacturation unitedefacturationminutes "
    "factureringseenheid factureringseenheidminuten",
    "minimum_charge_eur": "minimumcharge minimum montantminimum minimumbedrag",
    "maintenance_every_days": "entretientouslesjours entretienjours onderhoudelkedagen "
    "onderhouddagen",
    "maintenance_every_hours": "entretientouteslesheures entretienheures onderhoudelkeuren "
    "onderhouduren",
    "last_maintenance_on": "lastmaintenance dernierentretien laatsteonderhoud",
    "last_seen_on": "lastseen dernierevue vuele laatstgezien",
    "next_audit_due_on": "nextaudit prochaininventaire prochainaudit volgendeaudit "
    "volgendeinventaris",
    "notes": "note remarques remarks opmerkingen notities",
    "manual_urls": "manuals manuels modesdemploi handleidingen",
    "shares": "cofunding cofinancement parts cofinanciering aandelen",
}
LEGACY_CENTS = {
    "acquisition_cost_cents": "acquisition_cost_eur",
    "rate_cents_per_hour": "rate_eur_per_hour",
    "minimum_charge_cents": "minimum_charge_eur",
}
"""Columns of files written before money was in euros: read as cents and turned into euros."""


HISTORY_SHEET = "History"
"""The sheet of an exported workbook that lists every event: for reading, never imported."""


def header_key(text: str) -> str:
    """A header as compared: accents dropped, case folded, letters and digits only."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(c for c in plain.casefold() if c.isalnum())


_ALIASES: dict[str, str] = {}
for _column in COLUMNS:
    _ALIASES[header_key(_column)] = _column
    _ALIASES[header_key(READABLE[_column])] = _column
    for _word in _WORDS[_column].split():
        _ALIASES[_word] = _column


def column_of(header: str) -> str | None:
    """The register column a header names (in any of its languages), or None."""
    key = header_key(header)
    if key in (header_key(legacy) for legacy in LEGACY_CENTS):
        return next(name for name in LEGACY_CENTS if header_key(name) == key)
    return _ALIASES.get(key)


def column_letter(index: int) -> str:
    """`0` → `A`, `26` → `AA`: the column as a spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass(frozen=True)
class Row:
    """One non-blank row: its line (1 = the header), its sheet, and its values by column."""

    line: int
    values: dict[str, str]
    sheet: str = ""


@dataclass
class Table:
    """The rows of a file, keyed by register column."""

    columns: list[str] = field(default_factory=list)
    """The register columns the file has (the legacy cents columns turned into euros)."""
    letters: dict[str, str] = field(default_factory=dict)
    """The spreadsheet letter of each column (for refusals: 'line 4, column D')."""
    unknown: list[tuple[str, str]] = field(default_factory=list)
    """Headers that name no column, with their letter."""
    rows: list[Row] = field(default_factory=list)


def _cell_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return as_text(value)


def table_of(header: list[Any], rows: Iterable[tuple[int, list[Any]]], *, sheet: str = "") -> Table:
    """A table from a header and its numbered rows of cells; blank rows are left out."""
    table = Table()
    picked: list[tuple[int, str, bool]] = []
    for index, raw in enumerate(header):
        text = _cell_text(raw).strip().lstrip("\ufeff")
        if not text:
            continue
        name = column_of(text)
        if name is None:
            table.unknown.append((text, column_letter(index)))
            continue
        cents = name in LEGACY_CENTS
        name = LEGACY_CENTS.get(name, name)
        table.columns.append(name)
        table.letters[name] = column_letter(index)
        picked.append((index, name, cents))
    add_rows(table, rows, picked, sheet)
    return table


def add_rows(
    table: Table,
    rows: Iterable[tuple[int, list[Any]]],
    picked: list[tuple[int, str, bool]],
    sheet: str,
) -> None:
    for line, cells in rows:
        values = {}
        for index, name, cents in picked:
            cell = cells[index] if index < len(cells) else ""
            text = cell if type(cell) is str else _cell_text(cell)
            values[name] = _cents_as_euros(text) if cents and text.strip() else text
        if any(v.strip() for v in values.values()):  # not Excel's `;;;;` lines, nor empty rows
            table.rows.append(Row(line, values, sheet))


def _cents_as_euros(text: str) -> str:
    value = text.strip()
    return str(Decimal(value) / 100) if value.lstrip("-").isdigit() else value


# ---------------------------------------------------------------------------------------------
# Reading files


def decode(data: bytes) -> str:
    """CSV bytes as text: by byte-order mark, else UTF-8, else charset-normalizer's best guess."""
    for mark, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(mark):
            return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return data.decode("cp1252", errors="replace")
    if not best.encoding.startswith("utf"):
        # Short texts fit several one-byte code pages alike; Excel on a Belgian Windows writes
        # Windows-1252, so that one wins when it reads the bytes.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return str(best)


def sniff_separator(text: str) -> str:
    """The separator of CSV text: the one of `,` `;` tab `|` that splits the header most."""
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_csv(data: bytes) -> Table:
    """A CSV file as Excel writes it in any locale (any encoding, `;` or `,`, CRLF)."""
    text = decode(data).lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_separator(text))
    header = next(reader, [])

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for cells in reader:
            yield reader.line_num, list(cells)

    return table_of(list(header), rows())


def read_xlsx(data: bytes) -> Table:
    """Every sheet of a workbook whose first row names register columns (one per site, say);
    sheets that name none (notes) and the History sheet are left out."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    table = Table()
    try:
        for sheet in workbook.worksheets:
            if sheet.title == HISTORY_SHEET:
                continue
            rows = sheet.iter_rows(values_only=True)
            header = list(next(rows, ()))
            part = table_of(
                header, ((n, list(r)) for n, r in enumerate(rows, start=2)), sheet=sheet.title
            )
            if "asset_tag" not in part.columns and "name" not in part.columns:
                continue
            for name in part.columns:
                if name not in table.columns:
                    table.columns.append(name)
                    table.letters[name] = part.letters[name]
            table.unknown += part.unknown
            table.rows += part.rows
    finally:
        workbook.close()
    return table


def read_table(data: bytes, filename: str) -> Table:
    """A register file by its name: `.xlsx` as a workbook, anything else as CSV."""
    if PurePath(filename).suffix.lower() in (".xlsx", ".xlsm") or data.startswith(b"PK\x03\x04"):
        return read_xlsx(data)
    return read_csv(data)


# ---------------------------------------------------------------------------------------------
# Values people type

_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_euros(raw: str) -> int | None:
    """Euros as typed (`1 234,56`, `1.234,56`, `1,234.56`, `1234.5`, `€ 12`) → cents; empty →
    None. A separator followed by exactly three digits groups thousands; decimals are one or two
    digits."""
    value = _SPACES.sub("", raw.replace("€", "").replace("EUR", "").replace("eur", ""))
    if not value:
        return None
    match = re.fullmatch(r"(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,](\d{1,2}))?", value)
    if not match:
        raise FieldProblem("{value!r} is not an amount in euros like 1234,56", value=raw.strip())
    whole = re.sub(r"[.,]", "", match[1])
    return int(whole) * 100 + int((match[2] or "0").ljust(2, "0"))


def euros_text(cents: int | None) -> str:
    """Cents as the files write euros: `1234.56`, `12` (no decimals when whole)."""
    if cents is None:
        return ""
    whole, rest = divmod(cents, 100)
    return f"{whole}.{rest:02d}" if rest else str(whole)


def parse_shares(raw: str) -> list[ShareSpec]:
    """`REGION:50;CITY:50:40` (percent, optional hours a year; `=` works as on the command line)
    → shares in basis points. A file of the older kind, in basis points (`REGION:5000;CITY:5000`,
    adding up to 10000), is read as such."""
    parts = [p.strip() for p in re.split(r"[;|\n]", raw) if p.strip()]
    found: list[tuple[str, Decimal, int]] = []
    for part in parts:
        pieces = [p.strip() for p in re.split(r"[:=]", part)]
        number = (
            re.fullmatch(r"(\d{1,5})(?:[.,](\d{1,2}))?%?", pieces[1]) if len(pieces) > 1 else None
        )
        if not (len(pieces) in (2, 3) and pieces[0] and number) or (
            len(pieces) == 3 and not pieces[2].isdigit()
        ):
            raise FieldProblem("{part!r} is not CODE:PERCENT or CODE:PERCENT:HOURS", part=part)
        percent = Decimal(f"{number[1]}.{number[2] or 0}")
        found.append((pieces[0].upper(), percent, int(pieces[2]) if len(pieces) == 3 else 0))
    legacy = sum(p for _, p, _ in found) == FULL and all(p == int(p) for _, p, _ in found)
    return [
        ShareSpec(code, int(percent) if legacy else int(percent * 100), hours)
        for code, percent, hours in found
    ]


def shares_text(shares: Iterable[tuple[str, int, int]]) -> str:
    """Shares (code, basis points, hours) as the files write them: `REGION:60;CITY:40:50`."""
    return ";".join(
        f"{code}:{percent}:{hours}" if hours else f"{code}:{percent}"
        for code, points, hours in shares
        for percent in [euros_text(points)]
    )
