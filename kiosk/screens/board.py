"""The maker's board: every machine of the site by the hours of the day; pick a slot to book it."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.widgets import Static

from kiosk.i18n import N_
from kiosk.messages import BoardLoaded
from kiosk.screens.base import KioskScreen
from kiosk.views import CELL_LABELS, BoardRow, BoardView, Slot, read_board
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
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: BoardView | None = None

    def compose(self) -> ComposeResult:
        maker = self.kiosk.maker
        with Vertical(id="board"):
            yield Static(
                self._("Hello {name}").format(name=maker.name if maker else ""),
                id="greeting",
                classes="title",
            )
            yield Static(self.heading(), id="site-name")
            yield Static(self.legend(), id="legend")
            yield BoardGrid(id="grid")
            yield MessageLine(id="message")
        yield self.key_hints()

    def heading(self) -> str:
        if self.view is None:
            return ""
        text = f"{self.view.site_name} · {self.view.day.strftime('%d/%m/%Y')}"
        if self.view.closed:
            text += " · " + self._("closed")
        return text

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

    @work(thread=True, exclusive=True, group="board", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        maker = kiosk.maker
        view = read_board(
            kiosk.engine,
            kiosk.site,
            now=kiosk.clock(),
            maker_id=maker.maker_id if maker else None,
            timezone=kiosk.timezone,
        )
        self.post_message(BoardLoaded(view))

    def on_board_loaded(self, message: BoardLoaded) -> None:
        assert isinstance(message.view, BoardView)
        self.view = message.view
        self.kiosk.timezone = message.view.timezone
        self.query_one("#site-name", Static).update(self.heading())
        self.fill()

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

    def done(self, text: str | None) -> None:
        if text:
            self.show_message(text)

    def action_log_out(self) -> None:
        self.kiosk.forget()
