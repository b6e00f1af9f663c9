"""The whole register out and back in: CSV and `.xlsx` for people, JSON for machines; an item's
history as CSV.

Files people edit carry euros (`1234.56`) and shares in percent (`REGION:60;CITY:40`); the `.xlsx`
export has one sheet per site with readable headers (`Asset tag`, `Acquired on`…), dates as dates
and amounts as numbers, plus a `History` sheet with every event of every item (for reading: an
import leaves it aside). The JSON document keeps cents and basis points, and the history of each
item, which its import writes back for the items it adds. Export then import gives back the same
register; reading files is `inventory.spreadsheet`, importing them `inventory.register_import`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.errors import InvalidValue
from fabdesk.identifiers import parse_enterprise_number
from fabdesk.models import (
    Equipment,
    EquipmentCategory,
    EquipmentEvent,
    EquipmentEventKind,
    EquipmentShare,
    EquipmentStatus,
    Investor,
    Maker,
    Site,
)
from inventory.fields import as_text
from inventory.lookups import get_item
from inventory.register import record_event
from inventory.register_import import ImportPlan, RowProblem, import_table, rejected
from inventory.spreadsheet import (
    COLUMNS,
    HISTORY_SHEET,
    LEGACY_CENTS,
    READABLE,
    Row,
    Table,
    euros_text,
    read_csv,
    read_table,
    shares_text,
)

log = logging.getLogger(__name__)

FORMAT = "fabdesk-register"
VERSION = 2

MODEL_COLUMNS = [{v: k for k, v in LEGACY_CENTS.items()}.get(name, name) for name in COLUMNS]
"""The register's columns as the database (and the JSON document) holds them: money in cents."""

_MONEY = set(LEGACY_CENTS)


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


def _register_rows(
    session: Session, site_code: str | None
) -> Iterator[tuple[Sequence[Any], list[tuple[str, int, int]]]]:
    """Each item's values in MODEL_COLUMNS order (without shares), with its shares, by tag."""
    table = Equipment.__table__  # type: ignore[attr-defined]
    picked = [
        col(Site.code)
        if name == "site"
        else col(EquipmentCategory.code)
        if name == "category"
        else table.c[name]
        for name in MODEL_COLUMNS[:-1]
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
    """Every item as a dict of typed values keyed by MODEL_COLUMNS (shares as a list), by tag."""
    for values, shares in _register_rows(session, site_code):
        record = dict(zip(MODEL_COLUMNS, values, strict=False))
        record["shares"] = shares
        yield record


def _cells(values: Sequence[Any], shares: list[tuple[str, int, int]]) -> list[Any]:
    """An item's values as files people edit hold them: euros, percent, `yes`/`no`."""
    cells: list[Any] = []
    for name, value in zip(MODEL_COLUMNS, values, strict=False):
        if name in _MONEY:
            cells.append(euros_text(value))
        elif isinstance(value, bool):
            cells.append("yes" if value else "no")
        elif isinstance(value, EquipmentStatus):
            cells.append(value.value)
        else:
            cells.append(value)
    cells.append(shares_text(shares))
    return cells


def export_csv(session: Session, *, site_code: str | None = None) -> str:
    """The register (or one site of it) as CSV text with the COLUMNS header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    money = [index for index, name in enumerate(MODEL_COLUMNS) if name in _MONEY]
    for values, shares in _register_rows(session, site_code):
        # str() of a date is its ISO form and of a status its value: only None and booleans
        # differ, and money, which files people edit hold in euros.
        row = [
            "" if v is None else "yes" if v is True else "no" if v is False else str(v)
            for v in values
        ]
        for index in money:
            row[index] = euros_text(values[index])
        row.append(shares_text(shares))
        writer.writerow(row)
    return buffer.getvalue()


def export_xlsx(session: Session, *, site_code: str | None = None) -> bytes:
    """The register as a workbook: one sheet per site (readable headers, the columns the import
    reads back; dates as dates, euros as numbers), then a `History` sheet of every event."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    sites = {}
    for values, shares in _register_rows(session, site_code):
        site = str(values[MODEL_COLUMNS.index("site")])
        if site not in sites:
            sites[site] = workbook.create_sheet(site[:31])
            sites[site].append([READABLE[name] for name in COLUMNS])
        cells = _cells(values, shares)
        for index, name in enumerate(MODEL_COLUMNS):
            if name in _MONEY and cells[index] != "":
                cells[index] = _number(cells[index])
        sites[site].append(cells)
    if not sites:
        workbook.create_sheet("register").append([READABLE[name] for name in COLUMNS])
    for sheet in workbook.worksheets:
        sheet.freeze_panes = "A2"
        for index, name in enumerate(COLUMNS, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, len(READABLE[name]) + 2)
            if name.endswith("_on") or name == "lent_until":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "yyyy-mm-dd"
    events = workbook.create_sheet(HISTORY_SHEET)
    events.append([name.replace("_", " ").capitalize() for name in HISTORY_COLUMNS])
    for row in _history_rows(session, site_code):
        events.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _number(text: str) -> int | float:
    """Euros as a spreadsheet number (two decimals at most, so the float is exact enough to
    read back to the cent)."""
    return int(text) if "." not in text else float(text)


def export_json(session: Session, *, site_code: str | None = None) -> str:
    """The register as JSON: the investors, then the items with typed values and their history."""
    events: dict[str, list[dict[str, str]]] = {}
    for row in _history_rows(session, site_code):
        events.setdefault(row[0], []).append(dict(zip(HISTORY_COLUMNS[1:], row[1:], strict=True)))
    items = []
    for values, shares in _register_rows(session, site_code):
        record = dict(zip(MODEL_COLUMNS, values, strict=False))
        item = {
            name: (value.isoformat() if isinstance(value, date) else value)
            for name, value in record.items()
        }
        item["status"] = as_text(record["status"])
        item["manual_urls"] = [u for u in record["manual_urls"].split("\n") if u]
        item["shares"] = [
            {"investor": code, "basis_points": points, "usage_hours_per_year": hours}
            for code, points, hours in shares
        ]
        item["history"] = events.get(record["asset_tag"], [])
        items.append(item)
    investors = [
        {"code": i.code, "name": i.name, "enterprise_number": i.enterprise_number}
        for i in session.exec(select(Investor).order_by(col(Investor.code)))
    ]
    document = {"format": FORMAT, "version": VERSION, "investors": investors, "items": items}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


# ---------------------------------------------------------------------------------------------
# Import


def import_csv(
    session: Session,
    data: bytes | str,
    *,
    manager_id: int,
    now: datetime,
    source: str = "import",
    dry_run: bool = False,
) -> ImportPlan:
    """Import a register CSV (bytes in any encoding, or text): see `import_table`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return import_table(
        session, read_csv(raw), manager_id=manager_id, now=now, source=source, dry_run=dry_run
    )


def _json_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if name in LEGACY_CENTS and isinstance(value, int):
        return euros_text(value)
    return str(value)


def import_json(
    session: Session,
    text: str,
    *,
    manager_id: int,
    now: datetime,
    source: str = "import",
    dry_run: bool = False,
) -> ImportPlan:
    """Import a register JSON document, all or nothing: its new investors (known codes are kept
    as they are), its items, and the history of the items it adds."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _json_rejected(
            source, RowProblem(error.lineno, "json", "{problem}", {"problem": error.msg})
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise _json_rejected(
            source, RowProblem(1, "format", "is not a {format} document", {"format": FORMAT})
        )
    problems, investors = _json_investors(session, document.get("investors") or [])
    table = Table(columns=list(COLUMNS))
    past: dict[int, list[dict[str, str]]] = {}
    for index, item in enumerate(document.get("items") or [], start=1):
        if not isinstance(item, dict):
            problems.append(RowProblem(index, "item", "is not an object"))
            continue
        values = {
            LEGACY_CENTS.get(name, name): _json_text(name, item.get(name))
            for name in MODEL_COLUMNS
            if name != "shares"
        }
        try:
            values["shares"] = shares_text(
                (
                    str(s["investor"]),
                    int(s["basis_points"]),
                    int(s.get("usage_hours_per_year") or 0),
                )
                for s in item.get("shares") or []
            )
        except (KeyError, TypeError, ValueError):
            problems.append(
                RowProblem(index, "shares", "each share needs investor and basis_points")
            )
            continue
        table.rows.append(Row(index, values))
        past[index] = [e for e in item.get("history") or [] if isinstance(e, dict)]
    session.add_all(investors)
    session.flush()
    plan = import_table(session, table, manager_id=manager_id, now=now, source=source, dry_run=True)
    plan.problems = sorted([*problems, *plan.problems], key=lambda p: p.line)
    if dry_run or plan.problems:
        for investor in investors:
            session.expunge(investor) if investor.id is None else session.delete(investor)
        session.flush()
        if plan.problems and not dry_run:
            raise rejected(plan)
        return plan
    apply_import_with_history(session, plan, past, manager_id=manager_id, now=now)
    return plan


def _json_rejected(source: str, problem: RowProblem) -> Exception:
    return rejected(ImportPlan(source, problems=[problem]))


def _json_investors(
    session: Session, entries: Sequence[Any]
) -> tuple[list[RowProblem], list[Investor]]:
    problems: list[RowProblem] = []
    known = set(session.execute(sa.select(col(Investor.code))).scalars())
    new: list[Investor] = []
    for index, entry in enumerate(entries, start=1):
        code = str(entry.get("code") or "").strip().upper()
        if not code or not str(entry.get("name") or "").strip():
            problems.append(RowProblem(index, "investors", "an investor needs a code and a name"))
            continue
        if code in known:
            continue
        number = entry.get("enterprise_number")
        try:
            number = parse_enterprise_number(number) if number else None
        except InvalidValue as error:
            problems.append(
                RowProblem(index, "investors.enterprise_number", error.template, error.params)
            )
            continue
        known.add(code)
        new.append(Investor(code=code, name=str(entry["name"]).strip(), enterprise_number=number))
    return problems, new


def apply_import_with_history(
    session: Session,
    plan: ImportPlan,
    past: dict[int, list[dict[str, str]]],
    *,
    manager_id: int,
    now: datetime,
) -> None:
    """Write a plan, then give each item it adds the history the document carries for it
    (before the import's own `created` event)."""
    from inventory.register_import import apply_import

    apply_import(session, plan, manager_id=manager_id, now=now)
    added = {a.asset_tag: a.line for a in plan.added}
    wanted = {str(e.get("actor", "")) for events in past.values() for e in events}
    # The document names makers by member number: those known here are kept by id.
    query = sa.select(col(Maker.member_number), col(Maker.id))
    numbers = dict(session.execute(query.where(col(Maker.member_number).in_(wanted))).all())
    for item in session.exec(select(Equipment).where(col(Equipment.asset_tag).in_(list(added)))):
        for event in past.get(added[item.asset_tag], []):
            try:
                kind = EquipmentEventKind(event.get("kind", ""))
                at = datetime.fromisoformat(str(event.get("at", "")))
            except ValueError:
                continue
            record_event(
                session,
                item,
                kind,
                actor_id=numbers.get(str(event.get("actor", ""))),
                now=at,
                field=str(event.get("field", ""))[:64],
                old=str(event.get("old_value", "")),
                new=str(event.get("new_value", "")),
                reason=str(event.get("reason", "")),
            )
    session.flush()


def import_file(
    session: Session,
    data: bytes,
    *,
    filename: str,
    manager_id: int,
    now: datetime,
    dry_run: bool = False,
) -> ImportPlan:
    """Import a register file by its name: JSON (`fabdesk export x.json`), `.xlsx`, or CSV."""
    if filename.lower().endswith(".json"):
        text = data.decode("utf-8-sig")
        return import_json(
            session, text, manager_id=manager_id, now=now, source=filename, dry_run=dry_run
        )
    return import_table(
        session,
        read_table(data, filename),
        manager_id=manager_id,
        now=now,
        source=filename,
        dry_run=dry_run,
    )


# ---------------------------------------------------------------------------------------------
# History


HISTORY_COLUMNS = ["asset_tag", "at", "actor", "kind", "field", "old_value", "new_value", "reason"]


def _history_rows(
    session: Session, site_code: str | None, *, asset_tag: str | None = None
) -> Iterator[list[str]]:
    """Every event of the register (or of one site's items, or one item), by tag then time."""
    query = (
        sa.select(col(Equipment.asset_tag), EquipmentEvent, col(Maker.member_number))
        .join(EquipmentEvent, col(EquipmentEvent.equipment_id) == col(Equipment.id))
        .join(Site, col(Site.id) == col(Equipment.site_id))
        .outerjoin(Maker, col(Maker.id) == col(EquipmentEvent.actor_id))
        .order_by(col(Equipment.asset_tag), col(EquipmentEvent.at), col(EquipmentEvent.id))
    )
    if site_code is not None:
        query = query.where(col(Site.code) == site_code)
    if asset_tag is not None:
        query = query.where(col(Equipment.asset_tag) == asset_tag)
    for tag, event, member_number in session.execute(query):
        yield [
            tag,
            event.at.isoformat(timespec="seconds"),
            member_number or "",  # the maker by member number; empty: the system
            event.kind.value,
            event.field,
            event.old_value,
            event.new_value,
            event.reason,
        ]


def history_csv(session: Session, asset_tag: str) -> str:
    """An item's history as CSV, oldest first."""
    item = get_item(session, asset_tag)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    writer.writerows(_history_rows(session, None, asset_tag=item.asset_tag))
    return buffer.getvalue()
