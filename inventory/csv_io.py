"""The whole register as CSV or JSON, out and back in; and an item's history as CSV.

An import is all-or-nothing: every row is checked first (known site and category, well-formed and
unused asset tag, dates, numbers, shares adding up to 100 %…), every problem is reported with its
line and field in one `ImportRejected`, and nothing is written unless there is none. Rows are then
written in bulk, so 10,000 items take a couple of seconds. Export then import gives back the same
register.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.errors import ImportRejected, InvalidValue
from fabdesk.identifiers import parse_asset_tag, parse_enterprise_number
from fabdesk.models import (
    Equipment,
    EquipmentCategory,
    EquipmentEvent,
    EquipmentEventKind,
    EquipmentShare,
    EquipmentStatus,
    Investor,
    Site,
)
from fabdesk.models._types import UTCDateTime
from inventory.investors import ShareSpec, share_violations
from inventory.register import FIELD_PARSERS, get_item, history, parse_day

log = logging.getLogger(__name__)

FORMAT = "fabdesk-register"
VERSION = 1

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
    "acquisition_cost_cents",
    "expected_life_years",
    "training_category_code",
    "bookable",
    "status",
    "lent_to",
    "lent_until",
    "rate_cents_per_hour",
    "billing_unit_minutes",
    "minimum_charge_cents",
    "maintenance_every_days",
    "maintenance_every_hours",
    "last_maintenance_on",
    "last_seen_on",
    "next_audit_due_on",
    "notes",
    "manual_urls",
    "shares",
]
"""Columns of the register's CSV, in order. `shares` reads `REGION:5000:40;CITY:5000`: investor
code, basis points (10000 = 100 %) and optional usage hours a year, separated by `;`."""

REQUIRED = ("asset_tag", "site", "category", "name")

_DATES = ("acquired_on", "lent_until", "last_maintenance_on", "last_seen_on", "next_audit_due_on")
_DEFAULTS: dict[str, str] = {
    "bookable": "yes",
    "status": EquipmentStatus.IN_SERVICE.value,
    "rate_cents_per_hour": "0",
    "billing_unit_minutes": "1",
    "minimum_charge_cents": "0",
}


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong in an import file."""

    line: int
    """Line number in a CSV file (the header is line 1); position of the item in a JSON file."""
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


def _reject(source: str, problems: Sequence[RowProblem]) -> ImportRejected:
    first = problems[0]
    log.info("import_rejected source=%s problems=%d", source, len(problems))
    return ImportRejected(
        "{source}: {count} problem(s), nothing was imported. First: line {line}, {field}: "
        "{message}",
        source=source,
        count=len(problems),
        line=first.line,
        field=first.field,
        message=first.message,
        problems=list(problems),
    )


# ---------------------------------------------------------------------------------------------
# Export


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, EquipmentStatus):
        return value.value
    return str(value)


def _shares_by_item(session: Session) -> dict[int, list[tuple[str, int, int]]]:
    rows = session.execute(
        sa.select(
            col(EquipmentShare.equipment_id),
            col(Investor.code),
            col(EquipmentShare.basis_points),
            col(EquipmentShare.usage_hours_per_year),
        )
        .join(Investor, col(Investor.id) == col(EquipmentShare.investor_id))
        .order_by(col(EquipmentShare.basis_points).desc(), col(Investor.code))
    ).all()
    shares: dict[int, list[tuple[str, int, int]]] = {}
    for equipment_id, code, points, hours in rows:
        shares.setdefault(equipment_id, []).append((code, points, hours))
    return shares


def shares_text(shares: Iterable[tuple[str, int, int]]) -> str:
    return ";".join(
        f"{code}:{points}:{hours}" if hours else f"{code}:{points}"
        for code, points, hours in shares
    )


def _register_rows(
    session: Session, site_code: str | None
) -> Iterator[tuple[Sequence[Any], list[tuple[str, int, int]]]]:
    """Each item's values in COLUMNS order (without shares), with its shares, by asset tag."""
    table = Equipment.__table__  # type: ignore[attr-defined]
    picked = [
        col(Site.code)
        if name == "site"
        else col(EquipmentCategory.code)
        if name == "category"
        else table.c[name]
        for name in COLUMNS[:-1]
    ]
    query = (
        sa.select(*picked, table.c.id)
        .join(Site, col(Site.id) == table.c.site_id)
        .join(EquipmentCategory, col(EquipmentCategory.id) == table.c.category_id)
        .order_by(table.c.asset_tag)
    )
    if site_code is not None:
        query = query.where(col(Site.code) == site_code)
    shares = _shares_by_item(session)
    for row in session.execute(query):
        yield row[:-1], shares.get(row[-1], [])


def register_records(session: Session, *, site_code: str | None = None) -> Iterator[dict[str, Any]]:
    """Every item as a dict of typed values keyed by COLUMNS (shares as a list), by asset tag."""
    for values, shares in _register_rows(session, site_code):
        record = dict(zip(COLUMNS, values, strict=False))
        record["shares"] = shares
        yield record


def export_csv(session: Session, *, site_code: str | None = None) -> str:
    """The register (or one site of it) as CSV text with the COLUMNS header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    # str() of a date is its ISO form and of a status its value: only None and booleans differ.
    for values, shares in _register_rows(session, site_code):
        row = [
            "" if v is None else "yes" if v is True else "no" if v is False else str(v)
            for v in values
        ]
        row.append(shares_text(shares))
        writer.writerow(row)
    return buffer.getvalue()


def export_json(session: Session, *, site_code: str | None = None) -> str:
    """The register as JSON: the investors, then the items with typed values."""
    items = []
    for record in register_records(session, site_code=site_code):
        item = {
            name: (value.isoformat() if isinstance(value, date) else value)
            for name, value in record.items()
        }
        item["status"] = _text(record["status"])
        item["manual_urls"] = [u for u in record["manual_urls"].split("\n") if u]
        item["shares"] = [
            {"investor": code, "basis_points": points, "usage_hours_per_year": hours}
            for code, points, hours in record["shares"]
        ]
        items.append(item)
    investors = [
        {"code": i.code, "name": i.name, "enterprise_number": i.enterprise_number}
        for i in session.exec(select(Investor).order_by(col(Investor.code)))
    ]
    document = {"format": FORMAT, "version": VERSION, "investors": investors, "items": items}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


# ---------------------------------------------------------------------------------------------
# Import


def _parse_shares(text: str) -> list[ShareSpec]:
    shares = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        pieces = part.split(":")
        if len(pieces) not in (2, 3) or not all(p.strip().isdigit() for p in pieces[1:]):
            raise ValueError(f"{part!r} is not CODE:BASIS_POINTS[:HOURS]")
        hours = int(pieces[2]) if len(pieces) == 3 else 0
        shares.append(ShareSpec(pieces[0].strip().upper(), int(pieces[1]), hours))
    return shares


@dataclass
class _Known:
    sites: dict[str, int]
    categories: dict[str, int]
    investors: dict[str, int]
    tags: set[str]


def _known(session: Session) -> _Known:
    return _Known(
        sites={code: i for i, code in session.execute(sa.select(Site.id, Site.code))},  # type: ignore[call-overload]
        categories={
            code: i
            for i, code in session.execute(
                sa.select(col(EquipmentCategory.id), col(EquipmentCategory.code))
            )
        },
        investors={
            code: i for i, code in session.execute(sa.select(col(Investor.id), col(Investor.code)))
        },
        tags=set(session.execute(sa.select(col(Equipment.asset_tag))).scalars()),
    )


def _check_row(
    line: int,
    raw: Mapping[str, str],
    known: _Known,
    tags_in_file: dict[str, int],
    problems: list[RowProblem],
) -> dict[str, Any] | None:
    """Parse one row; on any problem, note it and return None."""
    found: list[RowProblem] = []
    values: dict[str, Any] = {}

    def bad(field: str, message: str) -> None:
        found.append(RowProblem(line, field, message))

    text = {name: (raw.get(name) or "").strip() or _DEFAULTS.get(name, "") for name in COLUMNS}
    for name in REQUIRED:
        if not text[name]:
            bad(name, "is missing")
    if text["asset_tag"]:
        try:
            tag = parse_asset_tag(text["asset_tag"])
        except InvalidValue as error:
            bad("asset_tag", str(error))
        else:
            values["asset_tag"] = tag
            if tag in known.tags:
                bad("asset_tag", f"{tag} is already in the register")
            elif tag in tags_in_file:
                bad("asset_tag", f"{tag} is also on line {tags_in_file[tag]}")
            else:
                tags_in_file[tag] = line
    if text["site"]:
        if text["site"] in known.sites:
            values["site_id"] = known.sites[text["site"]]
        else:
            bad("site", f"there is no site {text['site']!r}")
    if text["category"]:
        if text["category"] in known.categories:
            values["category_id"] = known.categories[text["category"]]
        else:
            bad("category", f"there is no category {text['category']!r}")
    training = text["training_category_code"]
    if training and training not in known.categories:
        bad("training_category_code", f"there is no category {training!r}")
    for name, parser in FIELD_PARSERS.items():
        if name == "category":
            continue
        try:
            values[name] = parser(text[name]) if text[name] or name != "name" else ""
        except ValueError as problem:
            bad(name, str(problem))
    for name in _DATES:
        if name == "acquired_on":
            continue
        try:
            values[name] = parse_day(text[name])
        except ValueError as problem:
            bad(name, str(problem))
    if len(text["location"]) > 120:
        bad("location", "is longer than 120 characters")
    values["location"] = text["location"]
    lent_to = text["lent_to"]
    if len(lent_to) > 160:
        bad("lent_to", "is longer than 160 characters")
    values["lent_to"] = lent_to or None
    try:
        status = EquipmentStatus(text["status"])
    except ValueError:
        bad(
            "status",
            f"{text['status']!r} is not one of {', '.join(s.value for s in EquipmentStatus)}",
        )
    else:
        values["status"] = status
        if status == EquipmentStatus.LENT_OUT:
            if not lent_to:
                bad("lent_to", "a lent item needs a borrower")
            if not text["lent_until"]:
                bad("lent_until", "a lent item needs a return date")
        elif lent_to or text["lent_until"]:
            bad("lent_to", "only a lent_out item has a borrower and a return date")
    try:
        shares = _parse_shares(text["shares"])
    except ValueError as problem:
        bad("shares", str(problem))
    else:
        for violation in share_violations(shares):
            bad("shares", violation.render())
        for share in shares:
            if share.investor_code not in known.investors:
                bad("shares", f"there is no investor {share.investor_code!r}")
        values["shares"] = shares
    if found:
        problems.extend(found)
        return None
    return values


def check_rows(
    session: Session,
    rows: Iterable[tuple[int, Mapping[str, str]]],
    *,
    extra_investors: Iterable[str] = (),
) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Parse every row against the database; return the values and every problem found."""
    known = _known(session)
    for code in extra_investors:
        known.investors.setdefault(code, -1)
    tags_in_file: dict[str, int] = {}
    problems: list[RowProblem] = []
    records = []
    for line, raw in rows:
        values = _check_row(line, raw, known, tags_in_file, problems)
        if values is not None:
            records.append(values)
    return records, problems


_ITEM_COLUMNS = {
    name: field.default for name, field in Equipment.model_fields.items() if name != "id"
}
"""Every column of an item, with the model's default for those the file does not carry."""


def _write(
    session: Session, records: Sequence[dict[str, Any]], *, actor: str, now: datetime, reason: str
) -> int:
    if not records:
        return 0
    table = Equipment.__table__  # type: ignore[attr-defined]
    session.execute(
        sa.insert(table),
        [
            {name: record.get(name, default) for name, default in _ITEM_COLUMNS.items()}
            for record in records
        ],
    )
    investors = {
        code: i for i, code in session.execute(sa.select(col(Investor.id), col(Investor.code)))
    }
    tags = {record["asset_tag"] for record in records}
    ids = {
        tag: i
        for i, tag in session.execute(sa.select(table.c.id, table.c.asset_tag))
        if tag in tags
    }
    shares = [
        {
            "equipment_id": ids[record["asset_tag"]],
            "investor_id": investors[share.investor_code],
            "basis_points": share.basis_points,
            "usage_hours_per_year": share.usage_hours_per_year,
        }
        for record in records
        for share in record["shares"]
    ]
    if shares:
        session.execute(sa.insert(EquipmentShare.__table__), shares)  # type: ignore[attr-defined]
    # One "created" event per item, written by the database itself (INSERT … SELECT).
    events = EquipmentEvent.__table__  # type: ignore[attr-defined]
    new_ids = [ids[record["asset_tag"]] for record in records]
    for start in range(0, len(new_ids), 5000):
        chosen = sa.select(
            table.c.id,
            sa.literal(now, UTCDateTime()),
            sa.literal(actor, sa.String()),
            sa.literal(EquipmentEventKind.CREATED.value, sa.String()),
            sa.literal("", sa.String()),
            sa.literal("", sa.Text()),
            table.c.asset_tag,
            sa.literal(reason, sa.Text()),
        ).where(table.c.id.in_(new_ids[start : start + 5000]))
        columns = [
            "equipment_id",
            "at",
            "actor",
            "kind",
            "field",
            "old_value",
            "new_value",
            "reason",
        ]
        session.execute(sa.insert(events).from_select(columns, chosen))
    session.flush()
    log.info("import_written items=%d shares=%d", len(records), len(shares))
    return len(records)


def _csv_rows(text: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = list(reader.fieldnames or [])

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for raw in reader:
            yield (
                reader.line_num,
                {k: v for k, v in raw.items() if isinstance(k, str) and v is not None},
            )

    return header, rows()


def import_csv(
    session: Session, text: str, *, actor: str, now: datetime, source: str = "import"
) -> int:
    """Add every item of a register CSV, or none: ImportRejected lists each bad line and field.

    Investors named in `shares` must exist already. Returns the number of items added.
    """
    header, rows = _csv_rows(text)
    problems: list[RowProblem] = []
    unknown = [name for name in header if name not in COLUMNS]
    for name in unknown:
        problems.append(RowProblem(1, name, "is not a column of the register"))
    for name in REQUIRED:
        if name not in header:
            problems.append(RowProblem(1, name, "column is missing"))
    if problems:
        raise _reject(source, problems)
    records, problems = check_rows(session, rows)
    if problems:
        raise _reject(source, problems)
    return _write(session, records, actor=actor, now=now, reason=f"imported from {source}")


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def import_json(
    session: Session, text: str, *, actor: str, now: datetime, source: str = "import"
) -> int:
    """Add the investors and items of a register JSON document, all or nothing.

    Investors already known (by code) are kept as they are; new ones are added.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _reject(source, [RowProblem(error.lineno, "json", error.msg)]) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _reject(source, [RowProblem(1, "format", f"is not a {FORMAT} document")])
    problems: list[RowProblem] = []
    known_investors = set(session.execute(sa.select(col(Investor.code))).scalars())
    new_investors: list[Investor] = []
    for index, entry in enumerate(document.get("investors") or [], start=1):
        code = str(entry.get("code") or "").strip().upper()
        if not code or not str(entry.get("name") or "").strip():
            problems.append(RowProblem(index, "investors", "an investor needs a code and a name"))
            continue
        if code in known_investors:
            continue
        number = entry.get("enterprise_number")
        try:
            number = parse_enterprise_number(number) if number else None
        except InvalidValue as error:
            problems.append(RowProblem(index, "investors.enterprise_number", str(error)))
            continue
        known_investors.add(code)
        new_investors.append(
            Investor(code=code, name=str(entry["name"]).strip(), enterprise_number=number)
        )
    rows = []
    for index, item in enumerate(document.get("items") or [], start=1):
        if not isinstance(item, dict):
            problems.append(RowProblem(index, "item", "is not an object"))
            continue
        raw = {name: _json_text(item.get(name)) for name in COLUMNS if name != "shares"}
        shares = item.get("shares") or []
        try:
            raw["shares"] = ";".join(
                f"{s['investor']}:{int(s['basis_points'])}:"
                f"{int(s.get('usage_hours_per_year') or 0)}"
                for s in shares
            )
        except (KeyError, TypeError, ValueError):
            problems.append(
                RowProblem(index, "shares", "each share needs investor and basis_points")
            )
            continue
        rows.append((index, raw))
    records, row_problems = check_rows(
        session, rows, extra_investors=[i.code for i in new_investors]
    )
    problems.extend(row_problems)
    if problems:
        raise _reject(source, sorted(problems, key=lambda p: p.line))
    session.add_all(new_investors)
    session.flush()
    return _write(session, records, actor=actor, now=now, reason=f"imported from {source}")


# ---------------------------------------------------------------------------------------------
# History


HISTORY_COLUMNS = ["asset_tag", "at", "actor", "kind", "field", "old_value", "new_value", "reason"]


def history_csv(session: Session, asset_tag: str) -> str:
    """An item's history as CSV, oldest first."""
    item = get_item(session, asset_tag)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for event in history(session, item.asset_tag):
        writer.writerow(
            [
                item.asset_tag,
                event.at.isoformat(timespec="seconds"),
                event.actor,
                event.kind.value,
                event.field,
                event.old_value,
                event.new_value,
                event.reason,
            ]
        )
    return buffer.getvalue()
