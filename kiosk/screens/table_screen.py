"""The base of the screens built round one table: read in a worker (`load`), then `fill` the
table; ↑↓ move its cursor even while a text field has the focus; Esc goes back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from kiosk.screens.base import KioskScreen


class LoadedScreen(KioskScreen):
    """A screen whose content is read in a worker when it opens, and drawn again after a change
    of language."""

    def on_mount(self) -> None:
        self.load()

    def after_recompose(self) -> None:
        self.fill()

    def load(self) -> object:
        """Start the worker that reads the content (a `@work(thread=True)` method)."""
        raise NotImplementedError

    def fill(self) -> None:
        raise NotImplementedError


class TableScreen(LoadedScreen):
    TABLE: ClassVar[str] = ""
    """The id of the screen's DataTable."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.loaded = False
        """Whether the first read came back (until then, an empty table says nothing)."""

    def table(self) -> DataTable[str]:
        table: DataTable[str] = self.query_one(f"#{self.TABLE}", DataTable)
        return table

    def refill(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """Draw the table again with `rows`, its cursor kept on the same row where it can be."""
        table = self.table()
        row = table.cursor_row
        table.clear(columns=True)
        table.add_columns(*columns)
        for cells in rows:
            table.add_row(*cells)
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))

    def action_move(self, rows: int) -> None:
        table = self.table()
        table.move_cursor(row=max(0, table.cursor_row + rows))

    def action_back(self) -> None:
        self.dismiss(None)
