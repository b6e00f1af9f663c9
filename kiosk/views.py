"""Service results turned into the plain values the screens draw (no rule, no SQL here).

The board's cells are a drawing of `scheduling.site_board` (what holds each machine in each hour)
and of the drivers' heartbeats (`fabdesk.usage.heartbeats.machine_statuses`): which hour is free,
booked, mine, in use, out of order, under maintenance, past or closed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kiosk.i18n import N_, translator
from kiosk.messages import MachineLine

if TYPE_CHECKING:
    from fabdesk.accounting.statements import ChargeLine
    from fabdesk.db import Engine
    from fabdesk.usage.history import UsageLine
    from scheduling.availability import Board
    from scheduling.days import OpenDay

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

WEEKDAYS: tuple[tuple[str, str], ...] = (
    (N_("Mon"), N_("Monday")),
    (N_("Tue"), N_("Tuesday")),
    (N_("Wed"), N_("Wednesday")),
    (N_("Thu"), N_("Thursday")),
    (N_("Fri"), N_("Friday")),
    (N_("Sat"), N_("Saturday")),
    (N_("Sun"), N_("Sunday")),
)
"""The msgids of each weekday's short and long name, Monday first (date.weekday())."""

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
    from fabdesk.db import session_scope
    from inventory.lookups import site_equipment

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
    category_code: str = ""


@dataclass(frozen=True)
class BoardView:
    site_name: str
    day: date
    timezone: str
    closed: str | None
    hours: tuple[datetime, ...]
    """Start of each hour column (aware, site time)."""
    rows: tuple[BoardRow, ...] = field(default_factory=tuple)
    today: date | None = None
    """The site's day at `now` (the first day one may pick)."""
    open_days: frozenset[date] = frozenset()
    """The days around `day` on which the site opens (the day picker's strip)."""
    next_open: OpenDay | None = None
    """When the site is closed on `day`: the next day it opens, with its hours."""


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
                     tuple(slots), machine.category_code)
        )  # fmt: skip
    return BoardView(board.site_name, board.day, board.timezone, board.closed, tuple(hours),
                     tuple(rows))  # fmt: skip


def local_day(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


DAYS_SEEN = 60
"""How far past the day shown the board looks for the next open day."""


def read_board(
    engine: Engine,
    site: str,
    *,
    now: datetime,
    maker_id: int | None,
    timezone: str,
    day: date | None = None,
    strip_from: date | None = None,
) -> BoardView:
    """The board of `site` on `day` (today by default) at `now`, with the machines the drivers
    say are running, the open days from `strip_from` on, and the next open day if `day` is
    closed."""
    # Imported here: Welcome shows before the database layer and the services are loaded.
    from fabdesk.db import session_scope
    from fabdesk.usage.heartbeats import machine_statuses
    from fabdesk.wire import MachineState
    from scheduling.availability import site_board
    from scheduling.days import open_days

    today = local_day(now, timezone)
    day = day or today
    with session_scope(engine) as session:
        board = site_board(session, site, day)
        running = {
            view.equipment_tag
            for view in machine_statuses(session)
            if view.state is MachineState.RUNNING
        }
        opens = open_days(session, site, strip_from or day, day + timedelta(days=DAYS_SEEN))
    view = draw_board(board, running, now=now, maker_id=maker_id)
    closed = board.closed is not None or not board.opening
    return replace(
        view,
        today=today,
        open_days=frozenset(o.day for o in opens),
        next_open=next((o for o in opens if o.day > day), None) if closed else None,
    )


WARM_UP = (
    "inventory.makers",
    "scheduling.availability",
    "fabdesk.usage.heartbeats",
    "kiosk.screens.board",
    "kiosk.screens.manager_login",
)
"""What a scan or F5 on Welcome needs next: loaded by the kiosk's loader, not on a key press."""


def warm_up() -> None:
    """Load the modules of WARM_UP (in the loader, once Welcome shows)."""
    for name in WARM_UP:
        importlib.import_module(name)
