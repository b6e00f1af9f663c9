"""The register of equipment: items, their fields, their lifecycle and the history of every change.

Every change goes through a function here and leaves an `EquipmentEvent` (who, when, why, the value
before and after). The clock (`now`) and the person (`actor`) are parameters; nothing commits.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from fabdesk.actors import Author, authorise
from fabdesk.errors import Conflict, InvalidValue, NotFound, RuleViolation, Violation
from fabdesk.identifiers import make_asset_tag, parse_asset_tag
from fabdesk.models import (
    Equipment,
    EquipmentCategory,
    EquipmentEvent,
    EquipmentEventKind,
    EquipmentStatus,
    Site,
    id_of,
)

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Sites and lookups (shared by the CLI, the kiosk and the API)


@dataclass(frozen=True)
class SiteEquipment:
    """A site with its items, each paired with its category, in asset-tag order."""

    site: Site
    items: Sequence[tuple[Equipment, EquipmentCategory]]


def get_site(session: Session, code: str) -> Site:
    site = session.exec(select(Site).where(Site.code == code)).first()
    if site is None:
        raise NotFound("There is no site {code!r}.", code=code, error_code="site_not_found")
    return site


def list_sites(session: Session) -> list[Site]:
    return list(session.exec(select(Site).order_by(col(Site.code))))


def site_equipment(session: Session, code: str) -> SiteEquipment:
    site = get_site(session, code)
    rows = session.exec(
        select(Equipment, EquipmentCategory)
        .join(EquipmentCategory, col(Equipment.category_id) == col(EquipmentCategory.id))
        .where(Equipment.site_id == site.id)
        .order_by(col(Equipment.asset_tag))
    ).all()
    return SiteEquipment(site=site, items=[(item, category) for item, category in rows])


def get_category(session: Session, code: str) -> EquipmentCategory:
    category = session.exec(select(EquipmentCategory).where(EquipmentCategory.code == code)).first()
    if category is None:
        raise NotFound(
            "There is no equipment category {category!r}.",
            category=code,
            error_code="category_not_found",
        )
    return category


def get_item(session: Session, asset_tag: str) -> Equipment:
    """The item with this asset tag; a mistyped tag (wrong check character) is InvalidValue."""
    tag = parse_asset_tag(asset_tag)
    item = session.exec(select(Equipment).where(Equipment.asset_tag == tag)).first()
    if item is None:
        raise NotFound("There is no item {tag}.", tag=tag, error_code="item_not_found")
    return item


@dataclass(frozen=True)
class ItemRow:
    """An item with its site and category, as lists and exports show it."""

    item: Equipment
    site: Site
    category: EquipmentCategory


def list_items(
    session: Session,
    *,
    site_code: str | None = None,
    status: EquipmentStatus | None = None,
    category_code: str | None = None,
) -> list[ItemRow]:
    """Items in asset-tag order, optionally of one site, status or category."""
    query = (
        select(Equipment, Site, EquipmentCategory)
        .join(Site, col(Equipment.site_id) == col(Site.id))
        .join(EquipmentCategory, col(Equipment.category_id) == col(EquipmentCategory.id))
        .order_by(col(Equipment.asset_tag))
    )
    if site_code is not None:
        query = query.where(Site.id == id_of(get_site(session, site_code)))
    if status is not None:
        query = query.where(Equipment.status == status)
    if category_code is not None:
        query = query.where(EquipmentCategory.id == id_of(get_category(session, category_code)))
    return [ItemRow(item, site, category) for item, site, category in session.exec(query)]


def training_category(session: Session, item: Equipment) -> EquipmentCategory | None:
    """The category whose training a maker needs to use `item`, or None if none is needed."""
    if item.training_category_code:
        return get_category(session, item.training_category_code)
    category = session.get(EquipmentCategory, item.category_id)
    return category if category is not None and category.needs_training else None


def book_value_cents(item: Equipment, today: date) -> int | None:
    """Straight-line depreciated value on `today` (None without cost, date or expected life)."""
    if item.acquisition_cost_cents is None or item.acquired_on is None:
        return None
    if not item.expected_life_years:
        return None
    life_days = item.expected_life_years * 365.25
    used = max(0, (today - item.acquired_on).days)
    remaining = max(0.0, 1 - used / life_days)
    return round(item.acquisition_cost_cents * remaining)


# ---------------------------------------------------------------------------------------------
# Field values: one parser per editable field, shared by the CLI, edits and the import


class FieldProblem(ValueError):
    """What is wrong with one value, as an English template and its parameters: `str()` is the
    English message; a file import translates the template into the manager's language."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template.format(**params))


def _text(limit: int, *, required: bool = False) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if required and not value:
            raise FieldProblem("must not be empty")
        if len(value) > limit:
            raise FieldProblem("is longer than {limit} characters", limit=limit)
        return value

    return parse


def _long_text(raw: str) -> str:
    return raw.replace("\r\n", "\n").strip()


_LOCAL_DAY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")


def parse_day(raw: str) -> date | None:
    """`2026-11-21`, or day first as Belgians write it (`21/11/2026`, `21.11.2026`,
    `21-11-2026`) → a date; empty → None."""
    value = raw.strip()
    if not value:
        return None
    local = _LOCAL_DAY.fullmatch(value)
    try:
        if local:
            return date(int(local[3]), int(local[2]), int(local[1]))
        return date.fromisoformat(value)
    except ValueError:
        raise FieldProblem(
            "{value!r} is not a date like 2026-11-21 or 21/11/2026", value=value
        ) from None


def _whole(minimum: int, *, optional: bool) -> Callable[[str], int | None]:
    def parse(raw: str) -> int | None:
        value = raw.strip()
        if not value:
            if optional:
                return None
            raise FieldProblem("must not be empty")
        if (
            not (value.isdigit() or (value[0] == "-" and value[1:].isdigit()))
            or not value.isascii()
        ):
            raise FieldProblem("{value!r} is not a whole number", value=value)
        number = int(value)
        if number < minimum:
            raise FieldProblem("must be at least {minimum}", minimum=minimum)
        return number

    return parse


def parse_flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "y", "oui", "ja"}:
        return True
    if value in {"0", "false", "no", "n", "non", "nee"}:
        return False
    raise FieldProblem("{value!r} is not yes or no", value=raw)


def _urls(raw: str) -> str:
    urls = [u.strip() for u in re.split(r"[\n|]", raw) if u.strip()]
    for url in urls:
        if not re.match(r"https?://\S+$", url):
            raise FieldProblem("{url!r} is not an http(s) link", url=url)
    return "\n".join(urls)


def _code(raw: str) -> str | None:
    value = raw.strip()
    return value or None


FIELD_PARSERS: dict[str, Callable[[str], Any]] = {
    "name": _text(160, required=True),
    "category": _text(32, required=True),
    "make": _text(80),
    "model": _text(120),
    "serial_number": _text(80),
    "acquired_on": parse_day,
    "acquisition_cost_cents": _whole(0, optional=True),
    "expected_life_years": _whole(1, optional=True),
    "training_category_code": _code,
    "bookable": parse_flag,
    "rate_cents_per_hour": _whole(0, optional=False),
    "billing_unit_minutes": _whole(1, optional=False),
    "minimum_charge_cents": _whole(0, optional=False),
    "maintenance_every_days": _whole(1, optional=True),
    "maintenance_every_hours": _whole(1, optional=True),
    "notes": _long_text,
    "manual_urls": _urls,
}
"""Fields `edit_item` changes (status, site and location have their own functions), by name; each
parser turns text into the field's value or raises ValueError saying what is wrong."""


def parse_field(name: str, raw: str) -> Any:
    """The value of field `name` from text, or InvalidValue naming the field."""
    parser = FIELD_PARSERS.get(name)
    if parser is None:
        raise InvalidValue(
            "{field!r} cannot be edited; editable fields: {fields}.",
            field=name,
            fields=", ".join(FIELD_PARSERS),
            error_code="field_not_editable",
        )
    try:
        return parser(raw)
    except ValueError as problem:
        raise InvalidValue(
            "{field}: {problem}.", field=name, problem=str(problem), error_code="field_value"
        ) from None


def as_text(value: object) -> str:
    """A value as the history and the files write it: `""`, `yes`/`no`, ISO dates, else str()."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------------------------
# Creating and changing items


def record_event(
    session: Session,
    item: Equipment,
    kind: EquipmentEventKind,
    *,
    actor_id: int | None,
    now: datetime,
    field: str = "",
    old: object = None,
    new: object = None,
    reason: str = "",
) -> EquipmentEvent:
    """Keep one event in the item's history (the other inventory services call this too), made
    by the maker `actor_id` (None: the system); the caller has checked who may make it."""
    event = EquipmentEvent(
        equipment_id=id_of(item),
        at=now,
        actor_id=actor_id,
        kind=kind,
        field=field,
        old_value=as_text(old),
        new_value=as_text(new),
        reason=reason,
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class NewItem:
    """An item to add. Values are already typed; `asset_tag` None takes the site's next one."""

    site_code: str
    category_code: str
    name: str
    location: str = ""
    asset_tag: str | None = None
    make: str = ""
    model: str = ""
    serial_number: str = ""
    acquired_on: date | None = None
    acquisition_cost_cents: int | None = None
    expected_life_years: int | None = None
    training_category_code: str | None = None
    bookable: bool = True
    rate_cents_per_hour: int = 0
    billing_unit_minutes: int = 1
    minimum_charge_cents: int = 0
    maintenance_every_days: int | None = None
    maintenance_every_hours: int | None = None
    notes: str = ""
    manual_urls: Sequence[str] = field(default_factory=tuple)


def tag_prefix(session: Session, site: Site) -> str:
    """The asset-tag prefix of a site: the one its items already use, else from its code."""
    tag = session.exec(
        select(Equipment.asset_tag)
        .where(Equipment.site_id == id_of(site))
        .order_by(col(Equipment.id))
        .limit(1)
    ).first()
    if tag:
        return tag.split("-")[0]
    letters = "".join(c for c in site.code.upper() if c.isalnum())
    return letters[:6] or "FAB"


def next_asset_tag(session: Session, site: Site) -> str:
    """The first free tag after the highest number in use with the site's prefix."""
    prefix = tag_prefix(session, site)
    tags = session.exec(
        select(Equipment.asset_tag).where(col(Equipment.asset_tag).startswith(f"{prefix}-"))
    ).all()
    numbers = [
        int(t.split("-")[1]) for t in tags if t.count("-") == 2 and t.split("-")[1].isdigit()
    ]
    return make_asset_tag(prefix, max(numbers, default=0) + 1)


def _check_values(session: Session, values: Mapping[str, Any]) -> None:
    """Refuse values the parsers cannot see: the codes must name existing categories."""
    code = values.get("training_category_code")
    if code:
        get_category(session, code)
    for name in ("rate_cents_per_hour", "minimum_charge_cents", "acquisition_cost_cents"):
        number = values.get(name)
        if number is not None and number < 0:
            raise InvalidValue("{field}: must be at least 0.", field=name, error_code="field_value")
    for name in (
        "billing_unit_minutes",
        "expected_life_years",
        "maintenance_every_days",
        "maintenance_every_hours",
    ):
        number = values.get(name)
        if number is not None and number < 1:
            raise InvalidValue("{field}: must be at least 1.", field=name, error_code="field_value")
    name_value = values.get("name")
    if name_value is not None and not str(name_value).strip():
        raise InvalidValue("name: must not be empty.", error_code="field_value")


def add_item(session: Session, new: NewItem, *, actor: Author, now: datetime) -> Equipment:
    """Register an item; its tag must be well formed (check character) and not taken. A site's
    manager adds items to their site only."""
    site = get_site(session, new.site_code)
    category = get_category(session, new.category_code)
    tag = parse_asset_tag(new.asset_tag) if new.asset_tag else next_asset_tag(session, site)
    if session.exec(select(Equipment.id).where(Equipment.asset_tag == tag)).first():
        raise Conflict("Asset tag {tag} is already taken.", tag=tag, error_code="asset_tag_taken")
    values: dict[str, Any] = {
        "name": parse_field("name", new.name),
        "make": parse_field("make", new.make),
        "model": parse_field("model", new.model),
        "serial_number": parse_field("serial_number", new.serial_number),
        "acquired_on": new.acquired_on,
        "acquisition_cost_cents": new.acquisition_cost_cents,
        "expected_life_years": new.expected_life_years,
        "training_category_code": new.training_category_code,
        "bookable": new.bookable,
        "rate_cents_per_hour": new.rate_cents_per_hour,
        "billing_unit_minutes": new.billing_unit_minutes,
        "minimum_charge_cents": new.minimum_charge_cents,
        "maintenance_every_days": new.maintenance_every_days,
        "maintenance_every_hours": new.maintenance_every_hours,
        "notes": parse_field("notes", new.notes),
        "manual_urls": parse_field("manual_urls", "\n".join(new.manual_urls)),
    }
    _check_values(session, values)
    item = Equipment(
        asset_tag=tag,
        site_id=id_of(site),
        category_id=id_of(category),
        location=_location(new.location),
        **values,
    )
    actor_id = authorise(
        session, actor, "equipment_added", subject=tag, site_ids=(id_of(site),), now=now
    )
    session.add(item)
    session.flush()
    record_event(
        session, item, EquipmentEventKind.CREATED, actor_id=actor_id, now=now, new=tag,
        reason="added",
    )  # fmt: skip
    session.flush()
    log.info("equipment_added asset_tag=%s site=%s", tag, site.code)
    return item


def edit_item(
    session: Session,
    asset_tag: str,
    changes: Mapping[str, object],
    *,
    actor: Author,
    now: datetime,
    reason: str = "",
) -> list[EquipmentEvent]:
    """Change fields of an item (text values are parsed); one event per field that changed.

    `category` takes a category code. Status, site and location are changed by `change_status`
    and `move_item`, which keep their own rules.
    """
    item = get_item(session, asset_tag)
    actor_id = authorise(
        session, actor, "equipment_edited", subject=item.asset_tag, site_ids=(item.site_id,),
        now=now,
    )  # fmt: skip
    parsed: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in FIELD_PARSERS:
            parse_field(name, "")  # raises field_not_editable
        if isinstance(value, str):
            parsed[name] = parse_field(name, value)
        elif name == "manual_urls" and isinstance(value, list | tuple):
            parsed[name] = parse_field(name, "\n".join(str(v) for v in value))
        else:
            parsed[name] = value
    _check_values(session, parsed)
    events: list[EquipmentEvent] = []
    for name, value in parsed.items():
        if name == "category":
            category = get_category(session, str(value))
            old_category = session.get(EquipmentCategory, item.category_id)
            if category.id == item.category_id:
                continue
            item.category_id = id_of(category)
            old_value: object = old_category.code if old_category else item.category_id
            value = category.code
        else:
            old_value = getattr(item, name)
            if old_value == value:
                continue
            setattr(item, name, value)
        events.append(
            record_event(
                session,
                item,
                EquipmentEventKind.EDITED,
                actor_id=actor_id,
                now=now,
                field=name,
                old=old_value,
                new=value,
                reason=reason,
            )
        )
    session.flush()
    return events


def _location(raw: str) -> str:
    try:
        return _text(120)(raw)
    except ValueError as problem:
        raise InvalidValue(
            "location: {problem}.", problem=str(problem), error_code="field_value"
        ) from None


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise InvalidValue(
            "Say why: a reason is kept in the item's history.", error_code="reason_required"
        )


def move_item(
    session: Session,
    asset_tag: str,
    *,
    site_code: str | None = None,
    location: str | None = None,
    actor: Author,
    now: datetime,
    reason: str,
) -> Equipment:
    """Move an item to another site and/or location; a retired item stays where it is. A
    site's manager moves within their site only (both ends must be theirs)."""
    _require_reason(reason)
    item = get_item(session, asset_tag)
    if item.status == EquipmentStatus.RETIRED:
        raise RuleViolation(
            [Violation("item_retired", "Item {tag} is retired.", {"tag": item.asset_tag})]
        )
    site = get_site(session, site_code) if site_code is not None else None
    actor_id = authorise(
        session, actor, "equipment_moved", subject=item.asset_tag,
        site_ids=(item.site_id, item.site_id if site is None else id_of(site)), now=now,
    )  # fmt: skip
    moves: list[tuple[str, object, object]] = []
    if site is not None and site.id != item.site_id:
        old_site = session.get(Site, item.site_id)
        moves.append(("site", old_site.code if old_site else item.site_id, site.code))
        item.site_id = id_of(site)
    if location is not None:
        location = _location(location)
    if location is not None and location != item.location:
        moves.append(("location", item.location, location))
        item.location = location
    if not moves:
        raise Conflict(
            "Item {tag} is already there.", tag=item.asset_tag, error_code="move_unchanged"
        )
    for name, old, new in moves:
        record_event(
            session, item, EquipmentEventKind.MOVED, actor_id=actor_id, now=now, field=name,
            old=old, new=new, reason=reason,
        )  # fmt: skip
    session.flush()
    return item


def change_status(
    session: Session,
    asset_tag: str,
    status: EquipmentStatus,
    *,
    reason: str,
    actor: Author,
    now: datetime,
    lent_to: str | None = None,
    lent_until: date | None = None,
) -> Equipment:
    """Put an item in service, out of order, in maintenance, lent out, or retire it.

    Lending needs a borrower and a return date not in the past (a lent item may be lent again to
    extend the loan). Retiring is final. Leaving `lent_out` forgets the borrower.
    """
    _require_reason(reason)
    status = EquipmentStatus(status)
    item = get_item(session, asset_tag)
    violations: list[Violation] = []
    if item.status == EquipmentStatus.RETIRED:
        violations.append(
            Violation(
                "item_retired",
                "Item {tag} is retired: its status cannot change.",
                {"tag": item.asset_tag},
            )
        )
    if status == EquipmentStatus.LENT_OUT:
        if not (lent_to and lent_to.strip()):
            violations.append(Violation("lent_to_required", "Say to whom the item is lent.", {}))
        if lent_until is None:
            violations.append(
                Violation("lent_until_required", "Say until when the item is lent.", {})
            )
        elif lent_until < now.date():
            violations.append(
                Violation(
                    "lent_until_past",
                    "The return date {until} is in the past.",
                    {"until": lent_until.isoformat()},
                )
            )
    elif lent_to is not None or lent_until is not None:
        violations.append(
            Violation("lent_only", "A borrower and return date go only with lent_out.", {})
        )
    if violations:
        raise RuleViolation(violations)
    actor_id = authorise(
        session, actor, "equipment_status", subject=f"{item.asset_tag} {status.value}",
        site_ids=(item.site_id,), now=now,
    )  # fmt: skip
    if status == item.status and status != EquipmentStatus.LENT_OUT:
        raise Conflict(
            "Item {tag} is already {status}.",
            tag=item.asset_tag,
            status=status.value,
            error_code="status_unchanged",
        )
    kind = EquipmentEventKind.STATUS
    if status != item.status:
        record_event(
            session,
            item,
            kind,
            actor_id=actor_id,
            now=now,
            field="status",
            old=item.status.value,
            new=status.value,
            reason=reason,
        )
    new_lent_to = lent_to.strip() if lent_to else None
    for name, value in (("lent_to", new_lent_to), ("lent_until", lent_until)):
        if getattr(item, name) != value:
            record_event(
                session,
                item,
                kind,
                actor_id=actor_id,
                now=now,
                field=name,
                old=getattr(item, name),
                new=value,
                reason=reason,
            )
            setattr(item, name, value)
    log.info(
        "equipment_status_changed asset_tag=%s old=%s new=%s",
        item.asset_tag,
        item.status.value,
        status.value,
    )
    item.status = status
    session.flush()
    return item


def history(session: Session, asset_tag: str) -> list[EquipmentEvent]:
    """Every event of an item, oldest first."""
    item = get_item(session, asset_tag)
    return list(
        session.exec(
            select(EquipmentEvent)
            .where(EquipmentEvent.equipment_id == id_of(item))
            .order_by(col(EquipmentEvent.at), col(EquipmentEvent.id))
        )
    )
