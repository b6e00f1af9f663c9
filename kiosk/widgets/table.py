"""A DataTable whose columns are as wide as their content from the first frame it is drawn in.

Textual's DataTable measures new rows when its message queue next goes idle. A screen that
refills a table (`clear(columns=True)`, the columns, the rows) and gets a frame painted before
that idle (a busy machine, a resize) caches each row drawn with its columns at the width of their
headers; when the idle measure then finds the same widths as before the refill, the table's
virtual size does not change, nothing is redrawn, and "Trotec   06  1  rése" stays on screen.
Measuring each cell as the row is added gives the columns their width before any frame.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, RowKey


def cell_width(cell: object) -> int:
    """The terminal cells a cell's text takes (as the table draws a str or a rich Text)."""
    if isinstance(cell, Text):
        return max((cell_len(line) for line in cell.plain.splitlines()), default=0)
    return max((cell_len(line) for line in str(cell).splitlines()), default=0)


class Table(DataTable[CellType]):
    """A `DataTable` that sizes its columns from each row as it is added."""

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: str | Text | None = None,
    ) -> RowKey:
        for column, cell in zip(self.ordered_columns, cells, strict=False):
            if column.auto_width:
                column.content_width = max(column.content_width, cell_width(cell))
        return super().add_row(*cells, height=height, key=key, label=label)
