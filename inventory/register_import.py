"""Importing a register file: a plan (added, changed, refused), then all of it or nothing.

Each row is matched by its asset tag: a tag in the register updates that item (only the columns
the file has; each change is an event in the item's history, by the importing manager), a new tag
adds an item, and a row without a tag adds one with the next tag of its site (the plan says
which). Every problem is a `RowProblem` with its line, spreadsheet column and field, as an English
template the CLI translates into the manager's language; nothing is written while there is one.
New items are written in bulk (10,000 take a couple of seconds).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.actors import actor_for, record_action
from fabdesk.errors import AccessDenied, InvalidValue, NotFound
from fabdesk.identifiers import make_asset_tag, parse_asset_tag
from fabdesk.models import (
    Equipment,
    EquipmentCategory,
    EquipmentEvent,
    EquipmentEventKind,
    EquipmentShare,
    EquipmentStatus,
    Investor,
    Maker,
    ManagerCredential,
    Site,
)
from fabdesk.models._types import UTCDateTime
from inventory.fields import FIELD_PARSERS, FieldProblem, parse_day
from inventory.import_plan import Added, Change, ImportPlan, RowProblem, rejected
from inventory.investors import ShareSpec, set_shares, share_violations
from inventory.register import record_event, tag_prefix
from inventory.spreadsheet import Row, Table, parse_euros, parse_shares, shares_text

__all__ = ["ImportPlan", "RowProblem", "apply_import", "import_table", "plan_import", "rejected"]

log = logging.getLogger(__name__)

REQUIRED = ("site", "category", "name")
"""What a new item needs (its tag may be left for the import to give)."""

_MONEY = {
    "acquisition_cost_eur": "acquisition_cost_cents",
    "rate_eur_per_hour": "rate_cents_per_hour",
    "minimum_charge_eur": "minimum_charge_cents",
}
_DATES = ("lent_until", "last_maintenance_on", "last_seen_on", "next_audit_due_on")
_PARSED = [n for n in FIELD_PARSERS if n != "category"]
_DEFAULTS: dict[str, Any] = {
    "bookable": True,
    "status": EquipmentStatus.IN_SERVICE,
    "rate_cents_per_hour": 0,
    "billing_unit_minutes": 1,
    "minimum_charge_cents": 0,
}
"""Values of a new item whose cell is empty; for an item updated, an empty cell in these columns
(or in site, category, name) keeps its value, and in any other column clears it."""
_KEEP_WHEN_EMPTY = {"site_id", "category_id", "name", *_DEFAULTS}
_KINDS = {
    "site_id": EquipmentEventKind.MOVED,
    "location": EquipmentEventKind.MOVED,
    "status": EquipmentEventKind.STATUS,
    "lent_to": EquipmentEventKind.STATUS,
    "lent_until": EquipmentEventKind.STATUS,
}


@dataclass
class _Known:
    sites: dict[str, int]
    site_codes: dict[int, str]
    categories: dict[str, int]
    category_codes: dict[int, str]
    investors: set[str]
    items: dict[str, Equipment]
    shares: dict[int, list[tuple[str, int, int]]]
    next_numbers: dict[str, int] = field(default_factory=dict)


def _known(session: Session, tags: Iterable[str]) -> _Known:
    sites = {s.code: s.id or 0 for s in session.exec(select(Site))}
    categories = {c.code: c.id or 0 for c in session.exec(select(EquipmentCategory))}
    items = {
        item.asset_tag: item
        for item in session.exec(select(Equipment).where(col(Equipment.asset_tag).in_(list(tags))))
    }
    shares: dict[int, list[tuple[str, int, int]]] = {}
    for equipment_id, code, points, hours in session.execute(
        sa.select(
            col(EquipmentShare.equipment_id),
            col(Investor.code),
            col(EquipmentShare.basis_points),
            col(EquipmentShare.usage_hours_per_year),
        )
        .join(Investor, col(Investor.id) == col(EquipmentShare.investor_id))
        .where(col(EquipmentShare.equipment_id).in_([i.id for i in items.values()]))
        .order_by(col(EquipmentShare.basis_points).desc(), col(Investor.code))
    ):
        shares.setdefault(equipment_id, []).append((code, points, hours))
    return _Known(
        sites=sites,
        site_codes={i: c for c, i in sites.items()},
        categories=categories,
        category_codes={i: c for c, i in categories.items()},
        investors=set(session.execute(sa.select(col(Investor.code))).scalars()),
        items=items,
        shares=shares,
    )


def _next_tag(session: Session, known: _Known, site_id: int) -> str:
    """The site's next free tag, counting those already given in this file."""
    site = session.get(Site, site_id)
    assert site is not None
    prefix = tag_prefix(session, site)
    if prefix not in known.next_numbers:
        tags = session.exec(
            select(Equipment.asset_tag).where(col(Equipment.asset_tag).startswith(f"{prefix}-"))
        ).all()
        numbers = [
            int(t.split("-")[1]) for t in tags if t.count("-") == 2 and t.split("-")[1].isdigit()
        ]
        known.next_numbers[prefix] = max(numbers, default=0)
    known.next_numbers[prefix] += 1
    return make_asset_tag(prefix, known.next_numbers[prefix])


class _RowCheck:
    """Parses one row into typed values, noting each problem with its place."""

    def __init__(self, table: Table, row: Row, problems: list[RowProblem]) -> None:
        self.table, self.row, self.problems = table, row, problems
        self.count = len(problems)

    def bad(self, name: str, template: str, **params: Any) -> None:
        column = self.table.letters.get(name, "")
        self.problems.append(
            RowProblem(self.row.line, name, template, params, column, self.row.sheet)
        )

    @property
    def ok(self) -> bool:
        return len(self.problems) == self.count

    def parse(self, name: str, parser: Callable[[str], Any], into: str | None = None) -> Any:
        try:
            return parser(self.row.values.get(name, ""))
        except FieldProblem as problem:
            self.bad(name, problem.template, **problem.params)
        except ValueError as problem:  # a parser without a template: its English text
            self.bad(name, "{problem}", problem=str(problem))
        return None


def _empty(name: str) -> Any:
    """The value of an empty cell: "" for text, else None (a default for a new item, the value
    kept for one updated, or an optional field cleared)."""
    try:
        return FIELD_PARSERS[name]("")
    except ValueError:
        return None


_EMPTY = {name: _empty(name) for name in _PARSED}


def _parse_row(check: _RowCheck, known: _Known) -> dict[str, Any]:
    """The typed values of the columns the row has (empty cells as None)."""
    text = {name: value.strip() for name, value in check.row.values.items()}
    values: dict[str, Any] = {}
    for name, code_map, target in (
        ("site", known.sites, "site_id"),
        ("category", known.categories, "category_id"),
    ):
        if text.get(name):
            if text[name] in code_map:
                values[target] = code_map[text[name]]
            else:
                check.bad(name, "there is no {column} {code!r}", column=name, code=text[name])
        elif name in text:
            values[target] = None
    for name in _PARSED:
        if name in text:
            values[name] = check.parse(name, FIELD_PARSERS[name]) if text[name] else _EMPTY[name]
    training = values.get("training_category_code")
    if training and training not in known.categories:
        check.bad("training_category_code", "there is no category {code!r}", code=training)
    for name, target in _MONEY.items():
        if name in text:
            values[target] = check.parse(name, parse_euros)
    for name in _DATES:
        if name in text:
            values[name] = check.parse(name, parse_day)
    for name, limit in (("location", 120), ("lent_to", 160)):
        if name in text:
            if len(text[name]) > limit:
                check.bad(name, "is longer than {limit} characters", limit=limit)
            values[name] = text[name] if name == "location" else text[name] or None
    if text.get("status"):
        try:
            values["status"] = EquipmentStatus(text["status"].lower())
        except ValueError:
            check.bad(
                "status",
                "{value!r} is not one of {allowed}",
                value=text["status"],
                allowed=", ".join(s.value for s in EquipmentStatus),
            )
    elif "status" in text:
        values["status"] = None
    if "shares" in text:
        shares = check.parse("shares", parse_shares)
        if shares is not None:
            for violation in share_violations(shares):
                check.bad("shares", violation.template, **violation.params)
            for share in shares:
                if share.investor_code not in known.investors:
                    check.bad("shares", "there is no investor {code!r}", code=share.investor_code)
            values["shares"] = shares
    return values


def _check_lending(check: _RowCheck, state: Mapping[str, Any], today: date, moved: bool) -> None:
    if state["status"] == EquipmentStatus.LENT_OUT:
        if not state.get("lent_to"):
            check.bad("lent_to", "a lent item needs a borrower")
        if state.get("lent_until") is None:
            check.bad("lent_until", "a lent item needs a return date")
        elif moved and state["lent_until"] < today:
            check.bad(
                "lent_until",
                "the return date {until} is in the past",
                until=state["lent_until"].isoformat(),
            )
    elif state.get("lent_to") or state.get("lent_until"):
        check.bad("lent_to", "only a lent_out item has a borrower and a return date")


def _text_of(name: str, value: Any, known: _Known) -> str:
    if value is None:
        return ""
    if name == "site_id":
        return known.site_codes.get(value, str(value))
    if name == "category_id":
        return known.category_codes.get(value, str(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, EquipmentStatus):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if name == "shares":
        return shares_text(value)
    return str(value)


def shares_of(specs: Iterable[ShareSpec]) -> list[tuple[str, int, int]]:
    return [(s.investor_code, s.basis_points, s.usage_hours_per_year) for s in specs]


def _plan_update(
    check: _RowCheck,
    plan: ImportPlan,
    item: Equipment,
    values: dict[str, Any],
    known: _Known,
    today: date,
) -> None:
    """Note each value of the row that differs from the item's, unless the row breaks a rule."""
    current = {name: getattr(item, name) for name in values if name != "shares"}
    current["shares"] = sorted(known.shares.get(item.id or 0, []))
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name == "shares":
            new = sorted((s.investor_code, s.basis_points, s.usage_hours_per_year) for s in value)
            if new != current["shares"]:
                changes["shares"] = value
        elif not (value is None and name in _KEEP_WHEN_EMPTY) and current[name] != value:
            changes[name] = value
    state = {n: changes.get(n, getattr(item, n)) for n in ("status", "lent_to", "lent_until")}
    if "status" in changes and state["status"] != EquipmentStatus.LENT_OUT:
        for name in ("lent_to", "lent_until"):
            # Leaving lent_out forgets the borrower, as change_status does.
            if name not in values and getattr(item, name) is not None:
                current[name], state[name], changes[name] = getattr(item, name), None, None
    if changes and item.status == EquipmentStatus.RETIRED:
        check.bad("asset_tag", "item {tag} is retired: it cannot change", tag=item.asset_tag)
        return
    _check_lending(check, state, today, moved=bool({"status", "lent_until"} & set(changes)))
    if not check.ok:
        return
    for name, value in changes.items():
        new_text = shares_text(sorted(shares_of(value))) if name == "shares" else None
        plan.changed.append(
            Change(
                check.row.line,
                item.asset_tag,
                name.removesuffix("_id"),
                _text_of(name, current[name], known),
                new_text if new_text is not None else _text_of(name, value, known),
            )
        )
        plan._updates.append((item, name, value))


def _plan_new(
    session: Session,
    check: _RowCheck,
    plan: ImportPlan,
    tag: str | None,
    values: dict[str, Any],
    known: _Known,
    today: date,
) -> None:
    for name in REQUIRED:
        if values.get(f"{name}_id" if name != "name" else name) is None and not any(
            p.field == name for p in check.problems[check.count :]
        ):
            check.bad(name, "is missing")
    record = {n: v for n, v in values.items() if v is not None}
    for name, default in _DEFAULTS.items():
        record.setdefault(name, default)
    record.setdefault("location", "")
    record.setdefault("shares", [])
    _check_lending(check, record, today, moved=False)
    if not check.ok:
        return
    given = tag is not None
    record["asset_tag"] = tag or _next_tag(session, known, record["site_id"])
    plan._new.append(record)
    plan.added.append(Added(check.row.line, record["asset_tag"], given, check.row.sheet))


def _manager_sites(session: Session, manager_id: int) -> int | None:
    """The one site a manager manages (None: every site); refuses anyone else."""
    maker = session.get(Maker, manager_id)
    if maker is None:
        raise NotFound(
            "There is no maker {number}.", number=manager_id, error_code="maker_not_found"
        )
    credential = session.get(ManagerCredential, manager_id)
    if credential is None:
        raise AccessDenied(
            "{name} is not a manager: only a manager may import the register.",
            name=maker.member_number,
            error_code="not_a_manager",
        )
    return credential.site_id


def plan_import(
    session: Session, table: Table, *, manager_id: int, today: date, source: str
) -> ImportPlan:
    """What importing `table` would add, change and refuse; writes nothing."""
    managed = _manager_sites(session, manager_id)
    plan = ImportPlan(source)
    for name, letter in table.unknown:
        plan.problems.append(RowProblem(1, name, "is not a column of the register", {}, letter))
    if "asset_tag" not in table.columns and "name" not in table.columns:
        plan.problems.append(RowProblem(1, "asset_tag", "column is missing"))
    if plan.problems:
        return plan
    tags: dict[str, str] = {}
    for row in table.rows:
        raw = row.values.get("asset_tag", "").strip()
        if raw:
            with contextlib.suppress(InvalidValue):  # refused with its place below
                tags[raw] = parse_asset_tag(raw)
    known = _known(session, tags.values())
    seen: dict[str, int] = {}
    for row in table.rows:
        check = _RowCheck(table, row, plan.problems)
        tag = None
        raw = row.values.get("asset_tag", "").strip()
        if raw:
            tag = tags.get(raw)
            if tag is None:
                try:
                    parse_asset_tag(raw)
                except InvalidValue as error:
                    check.bad("asset_tag", error.template, **error.params)
            elif tag in seen:
                check.bad("asset_tag", "{tag} is also on line {other}", tag=tag, other=seen[tag])
            else:
                seen[tag] = row.line
        values = _parse_row(check, known)
        item = known.items.get(tag) if tag else None
        site_id = values.get("site_id") or (item.site_id if item else None)
        if managed is not None and site_id is not None and site_id != managed:
            check.bad("site", "you manage site {site} only", site=known.site_codes.get(managed))
        if item is not None:
            _plan_update(check, plan, item, values, known, today)
        else:
            _plan_new(session, check, plan, tag, values, known, today)
    log.info(
        "import_planned source=%s added=%d changed=%d problems=%d",
        source,
        len(plan.added),
        len(plan.updated),
        len(plan.problems),
    )
    return plan


def apply_import(session: Session, plan: ImportPlan, *, manager_id: int, now: datetime) -> None:
    """Write a plan without problems: the new items in bulk, then each change as an event."""
    if plan.problems:
        raise rejected(plan)
    reason = f"imported from {plan.source}"
    manager = actor_for(session, manager_id, "cli")  # files are imported from the CLI only
    subject = f"{plan.source}: {len(plan.added)} added, {len(plan.updated)} changed"
    record_action(
        session, manager, "register_imported", subject=subject, site_id=manager.site_id, now=now
    )
    _insert(session, plan._new, actor_id=manager_id, now=now, reason=reason)
    for (item, name, value), change in zip(plan._updates, plan.changed, strict=True):
        if name == "shares":
            set_shares(session, item.asset_tag, value, actor=manager_id, now=now, reason=reason)
            continue
        record_event(
            session,
            item,
            _KINDS.get(name, EquipmentEventKind.EDITED),
            actor_id=manager_id,
            now=now,
            field=change.field,
            old=change.old,
            new=change.new,
            reason=reason,
        )
        setattr(item, name, value)
    session.flush()
    log.info("import_written added=%d changed=%d", len(plan.added), len(plan.updated))


def import_table(
    session: Session,
    table: Table,
    *,
    manager_id: int,
    now: datetime,
    source: str,
    dry_run: bool = False,
) -> ImportPlan:
    """Plan the import of `table` and, unless `dry_run`, write all of it or raise ImportRejected
    with every problem (nothing written)."""
    plan = plan_import(session, table, manager_id=manager_id, today=now.date(), source=source)
    if dry_run:
        return plan
    if plan.problems:
        raise rejected(plan)
    apply_import(session, plan, manager_id=manager_id, now=now)
    return plan


_ITEM_COLUMNS = {
    name: field.default for name, field in Equipment.model_fields.items() if name != "id"
}


def _insert(
    session: Session,
    records: list[dict[str, Any]],
    *,
    actor_id: int,
    now: datetime,
    reason: str,
) -> None:
    if not records:
        return
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
    new_ids = list(ids.values())
    columns = [
        "equipment_id",
        "at",
        "actor_id",
        "kind",
        "field",
        "old_value",
        "new_value",
        "reason",
    ]
    for start in range(0, len(new_ids), 5000):
        chosen = sa.select(
            table.c.id,
            sa.literal(now, UTCDateTime()),
            sa.literal(actor_id, sa.Integer()),
            sa.literal(EquipmentEventKind.CREATED.value, sa.String()),
            sa.literal("", sa.String()),
            sa.literal("", sa.Text()),
            table.c.asset_tag,
            sa.literal(reason, sa.Text()),
        ).where(table.c.id.in_(new_ids[start : start + 5000]))
        session.execute(sa.insert(events).from_select(columns, chosen))
    session.flush()
