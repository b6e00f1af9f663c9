"""The maker's board: every machine of the site by the hours of a day; pick a slot to book it.

The day picker (PgUp/PgDn, Home) moves over the whole booking horizon, with a strip of the week
around the day shown (closed days dim); on a closed day the board says when the site opens next.
N finds the first free slot of the selected machine's category at any site."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.widgets import Static

from kiosk.i18n import N_
from kiosk.messages import BoardLoaded, FirstFreeFound
from kiosk.screens.base import KioskScreen
from kiosk.views import CELL_LABELS, WEEKDAYS, BoardRow, BoardView, Slot, read_board
from kiosk.widgets.board_grid import BoardGrid, GridRow
from kiosk.widgets.message_line import MessageLine

CELL_STYLES: dict[str, str] = {
    "free": "bold green",
    "booked": "yellow",
    "mine": "bold reverse cyan",
    "in_use": "bold reverse magenta",
    "out_of_order": "bold red",
    "maintenance": "red",
    "past": "dim",
    "closed": "dim",
}

CELL_SHORT: dict[str, str] = {
    "out_of_order": N_("out of order (board cell)"),
    "maintenance": N_("maintenance (board cell)"),
}
"""The cell's own word where the legend's is too long for a cell ("broken", "panne")."""


def cell_labels(gettext: Callable[[str], str]) -> dict[str, str]:
    """The word in each kind of cell, translated by `gettext`."""
    return {kind: gettext(CELL_SHORT.get(kind, msgid)) for kind, msgid in CELL_LABELS.items()}


class BoardScreen(KioskScreen):
    KEYS = [
        ("↑↓←→", N_("Move")),
        ("⏎", N_("Book")),
        ("W", N_("Walk in now")),
        ("M", N_("My bookings")),
        ("H", N_("Hand over")),
        ("P", N_("Report a problem")),
        ("Esc", N_("Log out")),
    ]
    BINDINGS = [
        Binding("escape", "log_out", show=False),
        Binding("w", "walk_in", show=False),
        Binding("m", "me", show=False),
        Binding("h", "hand_over", show=False),
        Binding("p", "problem", show=False),
        Binding("r", "reload", show=False),
        # priority: the grid (a DataTable) would take them to scroll
        Binding("pagedown", "day(1)", show=False, priority=True),
        Binding("pageup", "day(-1)", show=False, priority=True),
        Binding("home", "today", show=False, priority=True),
        Binding("n", "first_free", show=False),
    ]

    STRIP = 7
    """Days in the week strip."""

    def __init__(self) -> None:
        super().__init__()
        self.view: BoardView | None = None
        self.day: date | None = None
        """The day shown; None: today."""
        self.aim: tuple[int, datetime] | None = None
        """Where the cursor goes once the board is drawn: a machine and an hour."""

    def compose(self) -> ComposeResult:
        maker = self.kiosk.maker
        with Vertical(id="board"):
            yield Static(
                self._("Hello {name}").format(name=maker.name if maker else ""),
                id="greeting",
                classes="title",
            )
            yield Static(self.heading(), id="site-name")
            yield Static(self.strip(), id="days")
            yield Static(self.day_note(), id="day-note")
            yield Static(self.legend(), id="legend")
            yield BoardGrid(id="grid")
            yield MessageLine(id="message")
        yield self.key_hints()

    def heading(self) -> str:
        if self.view is None:
            return ""
        day = self.view.day
        text = f"{self.view.site_name} · {self._(WEEKDAYS[day.weekday()][1])} {day:%d/%m/%Y}"
        if self.view.closed:
            text += " · " + self._("closed")
        return text

    def horizon(self) -> int:
        """How many days ahead one may book."""
        return self.kiosk.settings.scheduler.booking.max_days_ahead

    def window(self, today: date, day: date) -> list[date]:
        """The strip's days: a week around `day`, within today and the horizon."""
        last_day = today + timedelta(days=self.horizon())
        first = max(
            today,
            min(day - timedelta(days=self.STRIP // 2), last_day - timedelta(days=self.STRIP - 1)),
        )
        last = min(first + timedelta(days=self.STRIP - 1), last_day)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def strip(self) -> Text:
        """The week strip between its keys: the day shown in reverse, closed days dim."""
        text = Text()
        view = self.view
        if view is None or view.today is None:
            return text
        text.append("PgUp ◀ ", style="bold")
        for day in self.window(view.today, view.day):
            label = f" {self._(WEEKDAYS[day.weekday()][0])} {day:%d} "
            style = "bold reverse" if day == view.day else ""
            if day not in view.open_days:
                style += " dim strike"
            text.append(label, style=style.strip())
            text.append(" ")
        text.append("▶ PgDn", style="bold")
        return text

    def day_note(self) -> Text:
        """On a closed day: when the site opens next, with its hours; else the key N."""
        view = self.view
        if view is None:
            return Text()
        if not (view.closed or not view.hours):
            return Text.assemble(
                (" N ", "bold reverse"), " " + self._("First free slot of this kind, at any site")
            )
        note = self._("The lab is closed on this day.")
        if view.next_open is not None:
            opening = view.next_open.opening
            zone = self.kiosk.zone
            hours = ", ".join(
                f"{start.astimezone(zone):%H:%M}-{end.astimezone(zone):%H:%M}"
                for start, end in opening
            )
            day = view.next_open.day
            note += " " + self._("Next open: {day}, {hours}.").format(
                day=f"{self._(WEEKDAYS[day.weekday()][1])} {day:%d/%m}", hours=hours
            )
        return Text(note, style="bold")

    def legend(self) -> Text:
        text = Text()
        for kind, msgid in CELL_LABELS.items():
            text.append(f" {self._(msgid)} ", style=CELL_STYLES[kind])
            text.append(" ")
        return text

    def on_mount(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.view is not None:
            self.load()

    def after_recompose(self) -> None:
        self.fill()

    def action_reload(self) -> None:
        self.load()

    def action_day(self, step: int) -> None:
        """Show the day before or after, within today and the booking horizon."""
        if self.view is None or self.view.today is None:
            return
        today = self.view.today
        wanted = self.view.day + timedelta(days=step)
        if not today <= wanted <= today + timedelta(days=self.horizon()):
            self.show_message(self._("You can book up to {days} days ahead.").format(
                days=self.horizon()), error=True)  # fmt: skip
            return
        self.clear_message()
        self.day = wanted
        self.load()

    def action_today(self) -> None:
        self.day = None
        self.load()

    @work(thread=True, exclusive=True, group="board", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        maker = kiosk.maker
        now = kiosk.clock()
        today = now.astimezone(kiosk.zone).date()
        day = self.day or today
        view = read_board(
            kiosk.engine,
            kiosk.site,
            now=now,
            maker_id=maker.maker_id if maker else None,
            timezone=kiosk.timezone,
            day=day,
            strip_from=self.window(today, day)[0],
        )
        self.post_message(BoardLoaded(view))

    def on_board_loaded(self, message: BoardLoaded) -> None:
        assert isinstance(message.view, BoardView)
        fresh_day = self.view is None or self.view.day != message.view.day
        self.view = message.view
        self.kiosk.timezone = message.view.timezone
        self.query_one("#site-name", Static).update(self.heading())
        self.query_one("#days", Static).update(self.strip())
        self.query_one("#day-note", Static).update(self.day_note())
        if fresh_day:
            self.query_one("#grid", BoardGrid).show(self._("Machine"), [], [])
        self.fill()
        self.aim_cursor()

    def aim_cursor(self) -> None:
        """Put the cursor on the machine and hour found by N, once its day is drawn."""
        if self.aim is None or self.view is None:
            return
        equipment_id, starts_at = self.aim
        self.aim = None
        for r, row in enumerate(self.view.rows):
            if row.equipment_id != equipment_id:
                continue
            for c, slot in enumerate(row.slots):
                if slot.starts_at <= starts_at < slot.ends_at:
                    self.query_one("#grid", BoardGrid).cursor_coordinate = Coordinate(r, c + 1)

    def action_first_free(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen[0].category_code:
            self.find_first_free(chosen[0].category_code)

    @work(thread=True, exclusive=True, group="board-first-free", exit_on_error=False)
    def find_first_free(self, category: str) -> None:
        """The first free hour of `category` at any site, within the booking horizon."""
        from fabdesk.db import session_scope
        from scheduling.availability import next_free_slot

        kiosk = self.kiosk
        with session_scope(kiosk.engine) as session:
            slot = next_free_slot(
                session,
                category,
                timedelta(hours=1),
                kiosk.clock(),
                None,
                days=self.horizon(),
                settings=kiosk.settings.scheduler,
            )
        self.post_message(FirstFreeFound(slot))

    def on_first_free_found(self, message: FirstFreeFound) -> None:
        from scheduling.availability import FreeSlot

        slot = message.slot
        if not isinstance(slot, FreeSlot):
            self.show_message(
                self._("Nothing of this kind is free within the booking horizon."), error=True
            )
            return
        start = slot.starts_at.astimezone(self.kiosk.zone)
        self.show_message(self._("First free: {machine} at {site}, {start}.").format(
            machine=slot.name, site=slot.site_code,
            start=f"{self._(WEEKDAYS[start.weekday()][0])} {start:%d/%m %H:%M}"))  # fmt: skip
        if slot.site_code == self.kiosk.site:
            self.aim = (slot.equipment_id, slot.starts_at)
            self.day = start.date()
            self.load()

    def fill(self) -> None:
        """Draw the grid from `view`; the cursor stays where it was, or starts on the first free
        hour of a freshly drawn grid."""
        grid = self.query_one("#grid", BoardGrid)
        grid.set_kinds(cell_labels(self._), CELL_STYLES)
        if self.view is None:
            grid.show(self._("Machine"), [], [])
            return
        rows = [GridRow(row.name, tuple(slot.kind for slot in row.slots)) for row in self.view.rows]
        fresh = not grid.rows
        grid.show(self._("Machine"), [hour.strftime("%Hh") for hour in self.view.hours], rows)
        if fresh and rows:
            grid.cursor_coordinate = next(
                (
                    Coordinate(r, c + 1)
                    for r, row in enumerate(rows)
                    for c, kind in enumerate(row.kinds)
                    if kind == "free"
                ),
                Coordinate(0, 1),
            )
        grid.focus()

    def selected(self) -> tuple[BoardRow, Slot | None] | None:
        if self.view is None or not self.view.rows:
            return None
        cursor = self.query_one("#grid", BoardGrid).cursor_coordinate
        row = self.view.rows[min(cursor.row, len(self.view.rows) - 1)]
        column = cursor.column - 1
        slot = row.slots[column] if 0 <= column < len(row.slots) else None
        return row, slot

    def on_board_grid_slot_chosen(self, event: BoardGrid.SlotChosen) -> None:
        event.stop()
        self.pick()

    def pick(self) -> None:
        """Book the selected free slot, or offer to wait for a taken one."""
        from kiosk.screens.book import BookScreen

        chosen = self.selected()
        if chosen is None:
            return
        row, slot = chosen
        if slot is None:
            return
        if slot.kind == "free":
            self.app.push_screen(BookScreen(row, slot, "book"), callback=self.done)
        elif slot.kind in ("booked", "in_use"):
            self.app.push_screen(BookScreen(row, slot, "waitlist"), callback=self.done)
        elif slot.kind == "mine":
            self.action_me()
        else:
            self.show_message(self._("This slot cannot be booked."), error=True)

    def action_walk_in(self) -> None:
        from kiosk.screens.book import BookScreen

        chosen = self.selected()
        if chosen is not None:
            row, slot = chosen
            self.app.push_screen(BookScreen(row, slot, "walk_in"), callback=self.done)

    def action_me(self) -> None:
        from kiosk.screens.me import MeScreen

        self.app.push_screen(MeScreen(), callback=self.done)

    def action_hand_over(self) -> None:
        from kiosk.screens.handover import HandOverScreen

        self.app.push_screen(HandOverScreen(), callback=self.done)

    def action_problem(self) -> None:
        from kiosk.screens.problem import ProblemScreen

        chosen = self.selected()
        tag = chosen[0].asset_tag if chosen is not None else None
        self.app.push_screen(ProblemScreen(tag), callback=self.done)

    def action_log_out(self) -> None:
        self.kiosk.forget()
