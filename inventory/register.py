"""The register of equipment: items created and changed, their lifecycle and the history of every
change (their fields are read by `inventory.fields`, looked up by `inventory.lookups`).

Every change goes through a function here and leaves an `EquipmentEvent` (who, when, why, the value
before and after). The clock (`now`) and the person (`actor`) are parameters; nothing commits.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from fabdesk.actors import Author, authorise
from fabdesk.errors import Conflict, InvalidValue, RuleViolation, Violation
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
from inventory.fields import FIELD_PARSERS, as_text, parse_field, text_of_length
from inventory.lookups import get_category, get_item, get_site

log = logging.getLogger(__name__)

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
        return text_of_length(120)(raw)
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
