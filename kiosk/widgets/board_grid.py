"""The board's grid: machines by hours, drawn line by line from cached segments (line API).

A DataTable rebuilt 40 rows of cells on every redraw; this widget keeps one Segment per kind of
cell (and one per machine name) and only joins them into Strips when a line is painted, so a new
board costs a refresh. It owns the cursor, scrolls itself to keep it in view, and posts
`SlotChosen` when Enter (or a click) picks a cell. It knows nothing of bookings: the screen gives it
rows of cell kinds and the labels and styles of each kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

NAME_WIDTH = 24
"""Longest machine name shown (longer names are cut)."""
CELL_WIDTH = 9
"""The narrowest hour column: a label of up to 7 characters and a space either side. Longer
labels widen every column rather than being cut (the board gives short ones: "panne", "broken")."""


@dataclass(frozen=True)
class GridRow:
    """One line of the grid: a machine's name and the kind of each of its hours."""

    name: str
    kinds: tuple[str, ...]


class BoardGrid(Widget, can_focus=True):
    """Machines by hours. Column 0 is the machine's name; columns 1.. are the hours, as in a table,
    so `cursor_coordinate` reads (row, column) with column ≥ 1."""

    DEFAULT_CSS = """
    BoardGrid { height: 1fr; background: $surface; color: $foreground; }
    BoardGrid > .board-grid--header { text-style: bold; background: $panel; color: $foreground; }
    BoardGrid > .board-grid--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    BoardGrid:blur > .board-grid--cursor {
        background: $block-cursor-blurred-background;
        color: $block-cursor-blurred-foreground;
        text-style: $block-cursor-blurred-text-style;
    }
    """
    COMPONENT_CLASSES = {"board-grid--header", "board-grid--cursor"}
    BINDINGS = [
        Binding("up", "move(-1, 0)", show=False),
        Binding("down", "move(1, 0)", show=False),
        Binding("left", "move(0, -1)", show=False),
        Binding("right", "move(0, 1)", show=False),
        Binding("pageup", "move(-10, 0)", show=False),
        Binding("pagedown", "move(10, 0)", show=False),
        Binding("home", "move(0, -99)", show=False),
        Binding("end", "move(0, 99)", show=False),
        Binding("enter", "choose", show=False),
    ]

    class SlotChosen(Message):
        """Enter or a click picked the cell at `coordinate` (column ≥ 1)."""

        def __init__(self, grid: BoardGrid, coordinate: Coordinate) -> None:
            self.grid = grid
            self.coordinate = coordinate
            super().__init__()

        @property
        def control(self) -> BoardGrid:
            return self.grid

    cursor_coordinate: reactive[Coordinate] = reactive(Coordinate(0, 1), always_update=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: tuple[GridRow, ...] = ()
        self.hours: tuple[str, ...] = ()
        self.header_name = ""
        self._labels: dict[str, str] = {}
        self._styles: dict[str, Style] = {}
        self._cells: dict[str, Segment] = {}
        self._names: list[Segment] = []
        self._name_width = 8
        self._cell_width = CELL_WIDTH
        self._top = 0
        """The first row shown (the grid scrolls itself to keep the cursor in view)."""
        self._left = 0
        """The first hour column shown."""

    # -- what to draw ------------------------------------------------------------------------

    def set_kinds(self, labels: Mapping[str, str], styles: Mapping[str, str]) -> None:
        """The label (translated) and the style of each kind of cell."""
        self._labels = dict(labels)
        self._styles = {kind: Style.parse(style) for kind, style in styles.items()}
        self._cell_width = max([CELL_WIDTH, *(cell_len(label) + 2 for label in labels.values())])
        self._cells = {
            kind: Segment(self._pad(label), self._styles[kind])
            for kind, label in self._labels.items()
        }
        self.refresh()

    def _pad(self, label: str) -> str:
        """` label ` padded to the width of a cell (by terminal cells, not characters)."""
        return f" {label}{' ' * (self._cell_width - 2 - cell_len(label))} "

    @property
    def cell_width(self) -> int:
        return self._cell_width

    def show(self, header_name: str, hours: Sequence[str], rows: Sequence[GridRow]) -> None:
        """Draw a new board, keeping the cursor where it was (within the new bounds)."""
        self.header_name = header_name
        self.hours = tuple(hours)
        self.rows = tuple(rows)
        self._name_width = max([len(header_name), *(min(len(r.name), NAME_WIDTH) for r in rows)])
        self._names = [
            Segment(f" {row.name[:NAME_WIDTH]:<{self._name_width}} ") for row in self.rows
        ]
        self.cursor_coordinate = self._clamp(self.cursor_coordinate)
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def kind_at(self, coordinate: Coordinate) -> str | None:
        if 0 <= coordinate.row < len(self.rows) and 1 <= coordinate.column <= len(self.hours):
            return self.rows[coordinate.row].kinds[coordinate.column - 1]
        return None

    # -- the cursor ---------------------------------------------------------------------------

    def _clamp(self, coordinate: Coordinate) -> Coordinate:
        return Coordinate(
            max(0, min(coordinate.row, len(self.rows) - 1)),
            max(1, min(coordinate.column, max(1, len(self.hours)))),
        )

    def validate_cursor_coordinate(self, coordinate: Coordinate) -> Coordinate:
        return self._clamp(coordinate)

    def watch_cursor_coordinate(self) -> None:
        self._scroll_to_cursor()
        self.refresh()

    def _visible_rows(self) -> int:
        return max(1, self.size.height - 1)

    def _visible_columns(self) -> int:
        return max(1, (self.size.width - self._name_width - 2) // self._cell_width)

    def _scroll_to_cursor(self) -> None:
        row, column = self.cursor_coordinate.row, self.cursor_coordinate.column - 1
        shown = self._visible_rows()
        self._top = min(max(self._top, row - shown + 1), row)
        self._top = max(0, min(self._top, max(0, len(self.rows) - shown)))
        across = self._visible_columns()
        self._left = min(max(self._left, column - across + 1), column)
        self._left = max(0, min(self._left, max(0, len(self.hours) - across)))

    def on_resize(self) -> None:
        self._scroll_to_cursor()

    def action_move(self, rows: int, columns: int) -> None:
        cursor = self.cursor_coordinate
        self.cursor_coordinate = Coordinate(cursor.row + rows, cursor.column + columns)

    def action_choose(self) -> None:
        if self.rows and self.hours:
            self.post_message(self.SlotChosen(self, self.cursor_coordinate))

    def on_click(self, event: events.Click) -> None:
        if event.y < 1 or event.x < self._name_width + 2:
            return
        row = self._top + event.y - 1
        column = self._left + (event.x - self._name_width - 2) // self._cell_width + 1
        if row < len(self.rows) and column <= len(self.hours):
            self.cursor_coordinate = Coordinate(row, column)
            self.action_choose()

    # -- painting -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        across = self._visible_columns()
        hours = range(self._left, min(len(self.hours), self._left + across))
        if y == 0:
            header = base + self.get_component_rich_style("board-grid--header")
            cells = [Segment(f" {self.header_name:<{self._name_width}} ", header)]
            cells += [Segment(self._pad(self.hours[h]), header) for h in hours]
            return Strip(cells).adjust_cell_length(width, header)
        index = self._top + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, base)
        row = self.rows[index]
        segments = [self._names[index]]
        cursor = self.cursor_coordinate
        for h in hours:
            cell = self._cells[row.kinds[h]]
            if index == cursor.row and h == cursor.column - 1:
                style = self.get_component_rich_style("board-grid--cursor")
                cell = Segment(cell.text, style)
            segments.append(cell)
        return Strip(segments).apply_style(base).adjust_cell_length(width, base)
