"""The board's grid widget on its own: arrow keys move a clamped cursor, the grid scrolls to keep
it in view, Enter and a click choose a cell, a new board keeps the cursor. No database."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.coordinate import Coordinate

from fabdesk.i18n import translator
from kiosk.screens.board import CELL_STYLES, cell_labels
from kiosk.widgets.board_grid import BoardGrid, GridRow

HOURS = [f"{hour:02d}h" for hour in range(8, 20)]
"""Twelve hours: wider than the terminal below."""


def rows(count: int, kind: str = "free") -> list[GridRow]:
    return [GridRow(f"Machine {n}", tuple(kind for _ in HOURS)) for n in range(count)]


class GridApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[Coordinate] = []

    def compose(self) -> ComposeResult:
        yield BoardGrid(id="grid")

    def on_mount(self) -> None:
        grid = self.query_one(BoardGrid)
        grid.set_kinds(cell_labels(translator("en").gettext), CELL_STYLES)
        grid.show("Machine", HOURS, rows(40))
        grid.focus()

    def on_board_grid_slot_chosen(self, event: BoardGrid.SlotChosen) -> None:
        self.chosen.append(event.coordinate)


def line_text(grid: BoardGrid, y: int) -> str:
    return "".join(segment.text for segment in grid.render_line(y))


async def test_the_cursor_moves_scrolls_and_chooses() -> None:
    app = GridApp()
    async with app.run_test(size=(80, 12)) as pilot:
        grid = app.query_one(BoardGrid)
        assert grid.cursor_coordinate == Coordinate(0, 1)
        await pilot.press("up", "left")  # clamped: the name column cannot be chosen
        assert grid.cursor_coordinate == Coordinate(0, 1)
        await pilot.press("down", "right", "enter")
        assert app.chosen == [Coordinate(1, 2)]
        await pilot.press(*["down"] * 20)
        assert grid.cursor_coordinate.row == 21
        assert line_text(grid, grid.size.height - 1).startswith(" Machine 21 ")
        assert line_text(grid, 0).startswith(" Machine ")  # the header stays on top
        await pilot.press("end")
        assert grid.cursor_coordinate.column == len(HOURS)
        assert "19h" in line_text(grid, 0)
        assert "08h" not in line_text(grid, 0)  # scrolled sideways
        await pilot.press("pagedown", "pagedown", "pagedown", "pagedown")
        assert grid.cursor_coordinate.row == 39
        grid.show("Machine", HOURS, rows(3, "booked"))  # a smaller board: the cursor follows
        await pilot.pause()
        assert grid.cursor_coordinate == Coordinate(2, len(HOURS))
        assert grid.kind_at(grid.cursor_coordinate) == "booked"
        assert grid.kind_at(Coordinate(5, 1)) is None
        await pilot.press("home")
        await pilot.click(BoardGrid, offset=(len(" Machine 0 ") + 1 + 9, 1))
        assert app.chosen[-1] == Coordinate(0, 2)


async def test_an_empty_board_chooses_nothing() -> None:
    app = GridApp()
    async with app.run_test(size=(80, 12)) as pilot:
        grid = app.query_one(BoardGrid)
        grid.show("Machine", [], [])
        await pilot.press("down", "enter")
        assert app.chosen == []
        assert line_text(grid, 3).strip() == ""
