"""Service results turned into the plain values the screens draw (no rule, no SQL here).

The board's cells are a drawing of `scheduling.site_board` (what holds each machine in each hour)
and of the drivers' heartbeats (`fabdesk.usage.heartbeats.machine_statuses`): which hour is free,
booked, mine, in use, out of order, under maintenance, past or closed.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fabdesk.db import Engine, session_scope
from fabdesk.errors import FabdeskError, Localized, RuleViolation
from inventory.register import site_equipment
from kiosk.i18n import N_, translator
from kiosk.messages import MachineLine

if TYPE_CHECKING:
    from fabdesk.accounting.statements import ChargeLine
    from fabdesk.usage.history import UsageLine
    from scheduling.availability import Board

STATUS_LABELS: dict[str, str] = {
    "in_service": N_("In service"),
    "out_of_order": N_("Out of order"),
    "maintenance": N_("Maintenance"),
    "lent_out": N_("Lent out"),
    "retired": N_("Retired"),
    "to_check": N_("To check"),
}
"""The msgid shown for each equipment status."""

CELL_LABELS: dict[str, str] = {
    "free": N_("free"),
    "booked": N_("booked"),
    "mine": N_("mine"),
    "in_use": N_("in use"),
    "out_of_order": N_("out of order"),
    "maintenance": N_("maintenance"),
    "past": N_("past"),
    "closed": N_("closed"),
}
"""The msgid of each kind of board cell (the legend and the cells say the same)."""

BOOKING_STATES: dict[str, str] = {
    "booked": N_("reserved"),
    "checked_in": N_("checked in"),
    "completed": N_("completed"),
    "cancelled": N_("cancelled"),
    "no_show": N_("no-show"),
}

CHARGE_STATES: dict[str, str] = {
    "charged": N_("charged"),
    "disputed": N_("disputed"),
    "cancelled": N_("reversed"),
}
"""The msgid of each state of a charge (fabdesk.accounting.statements.ChargeState)."""

SEVERITIES: dict[bool, str] = {
    False: N_("Minor (the machine can still be used)"),
    True: N_("Serious (the machine must not be used)"),
}
"""A problem report's severity, as offered to the maker (serious puts the machine out of order)."""


def usage_cells(line: UsageLine, zone: ZoneInfo) -> tuple[str, str, str]:
    """A usage session as (machine, when it started in site time, measured minutes)."""
    return (
        line.machine,
        line.started_at.astimezone(zone).strftime("%d/%m %H:%M"),
        f"{line.active_minutes} min",
    )


def charge_cells(line: ChargeLine, language: str) -> tuple[str, ...]:
    """A charge as (day, machine, amount, paid by cheques, billed to the maker, state)."""
    words = translator(language)
    return (
        line.occurred_on.strftime("%d/%m/%Y"),
        line.machine,
        words.money(line.total_cents),
        words.money(line.cheque_cents),
        words.money(line.maker_cents),
        words.gettext(CHARGE_STATES[line.state.value]),
    )


def read_machines(engine: Engine, site: str) -> tuple[str, list[MachineLine]]:
    """The site's name and its machines (bookable or not), in asset-tag order."""
    with session_scope(engine) as session:
        listing = site_equipment(session, site)
        lines = [
            MachineLine(
                asset_tag=item.asset_tag,
                name=item.name,
                category={"fr": category.name_fr, "nl": category.name_nl, "en": category.name_en},
                status=item.status.value,
                bookable=item.bookable,
                equipment_id=item.id or 0,
            )
            for item, category in listing.items
        ]
        return listing.site.name, lines


# -- the board -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """One cell: a machine during one hour."""

    kind: str
    """A key of CELL_LABELS."""
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class BoardRow:
    equipment_id: int
    asset_tag: str
    name: str
    bookable: bool
    slots: tuple[Slot, ...]


@dataclass(frozen=True)
class BoardView:
    site_name: str
    day: date
    timezone: str
    closed: str | None
    hours: tuple[datetime, ...]
    """Start of each hour column (aware, site time)."""
    rows: tuple[BoardRow, ...] = field(default_factory=tuple)


def _overlaps(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> bool:
    return a0 < b1 and b0 < a1


def draw_board(
    board: Board, running: set[str], *, now: datetime, maker_id: int | None
) -> BoardView:
    """The cells of a day board: one per machine and opening hour."""
    tz = ZoneInfo(board.timezone)
    hours: list[datetime] = []
    for opens, closes in board.opening:
        hour = opens.astimezone(tz).replace(minute=0, second=0, microsecond=0)
        while hour < closes:
            if hour not in hours:
                hours.append(hour)
            hour = hour + timedelta(hours=1)
    hours.sort()
    rows: list[BoardRow] = []
    for machine in board.machines:
        slots: list[Slot] = []
        for start in hours:
            end = start + timedelta(hours=1)
            kind = "free"
            if board.closed:
                kind = "closed"
            elif machine.status.value != "in_service":
                kind = "maintenance" if machine.status.value == "maintenance" else "out_of_order"
            else:
                for block in machine.blocks:
                    if not _overlaps(start, end, block.starts_at, block.ends_at):
                        continue
                    if block.kind == "maintenance":
                        kind = "maintenance"
                        break
                    if block.kind == "booking":
                        kind = (
                            "mine"
                            if maker_id is not None and block.maker_id == maker_id
                            else ("booked")
                        )
                    elif kind == "free":
                        kind = "booked"  # the buffer after a booking
                if start <= now < end and machine.asset_tag in running:
                    kind = "in_use"
                elif end <= now and kind == "free":
                    kind = "past"
            slots.append(Slot(kind, start, end))
        rows.append(
            BoardRow(machine.equipment_id, machine.asset_tag, machine.name, machine.bookable,
                     tuple(slots))
        )  # fmt: skip
    return BoardView(board.site_name, board.day, board.timezone, board.closed, tuple(hours),
                     tuple(rows))  # fmt: skip


def local_day(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def read_board(
    engine: Engine, site: str, *, now: datetime, maker_id: int | None, timezone: str
) -> BoardView:
    """Today's board of `site` at `now`, with the machines the drivers say are running."""
    # Imported here: Welcome shows before the scheduling and usage services are loaded.
    from fabdesk.usage.heartbeats import machine_statuses
    from fabdesk.wire import MachineState
    from scheduling.availability import site_board

    with session_scope(engine) as session:
        board = site_board(session, site, local_day(now, timezone))
        running = {
            view.equipment_tag
            for view in machine_statuses(session)
            if view.state is MachineState.RUNNING
        }
    return draw_board(board, running, now=now, maker_id=maker_id)


# -- sentences ---------------------------------------------------------------------------------

_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def humanise(params: Mapping[str, Any], language: str = "en") -> dict[str, Any]:
    """Parameters as a person reads them: ISO instants as "24/11 10:00", days as "24/11/2026",
    names given in every language in the reader's."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Localized):
            value = value.in_language(language)
        elif isinstance(value, str) and _ISO_INSTANT.match(value):
            with contextlib.suppress(ValueError):
                value = datetime.fromisoformat(value).strftime("%d/%m %H:%M")
        elif isinstance(value, str) and _ISO_DAY.match(value):
            value = date.fromisoformat(value).strftime("%d/%m/%Y")
        elif isinstance(value, datetime):
            value = value.strftime("%d/%m %H:%M")
        elif isinstance(value, date):
            value = value.strftime("%d/%m/%Y")
        shown[key] = value
    return shown


def render_error(error: FabdeskError, gettext: Callable[[str], str], language: str = "en") -> str:
    """A refusal as one or more translated sentences with readable parameters."""
    if isinstance(error, RuleViolation):
        return " ".join(
            gettext(v.template).format(**humanise(v.params, language)) for v in error.violations
        )
    return gettext(error.template).format(**humanise(error.params, language))


def money(cents: int, language: str) -> str:
    """Cents as euros in the reader's form: 1234 -> "12,34 €" (fr), "€ 12,34" (nl), "€12.34"."""
    return translator(language).money(cents)


def warm_up() -> None:
    """Load the board's modules ahead of the first scan (run in a worker once Welcome shows)."""
    for name in ("scheduling.availability", "fabdesk.usage.heartbeats", "kiosk.screens.board"):
        importlib.import_module(name)
