"""The kiosk fits a Linux console: at 80x24 and 100x30, on a large screen (160x50) and on a
220x60 one, in each language, no key hint and no board cell is cut. Read from the screen as drawn
(the compositor's text), on SQLite. (The console snapshots check the key hints of every screen
as drawn at 80x24 and 160x50.)"""

from __future__ import annotations

import importlib
import io
import pkgutil
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from textual.app import App

import kiosk.screens
from fabdesk.i18n import translator
from kiosk.screens.base import KioskScreen
from kiosk.screens.board import cell_labels
from kiosk.widgets.board_grid import BoardGrid
from kiosk.widgets.keys import KeyHints, hint_lines
from tests.kiosk.conftest import Lab
from tests.kiosk.pilot import MakeApp, open_board

LANGUAGES = ("fr", "nl", "en")
SIZES = ((80, 24), (100, 30), (160, 50))


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def drawn_lines(app: App[Any]) -> list[str]:
    """The text of each line of the terminal, as the kiosk drew it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text().splitlines()


def every_screen() -> list[type[KioskScreen]]:
    for module in pkgutil.iter_modules(kiosk.screens.__path__):
        importlib.import_module(f"kiosk.screens.{module.name}")

    def below(cls: type[KioskScreen]) -> list[type[KioskScreen]]:
        return [cls, *(c for sub in cls.__subclasses__() for c in below(sub))]

    return below(KioskScreen)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", [w for w, _ in SIZES])
def test_the_key_hints_of_every_screen_fit_in_two_lines(language: str, width: int) -> None:
    words = translator(language)
    for screen in every_screen():
        hints = [(key, words.gettext(msgid)) for key, msgid in screen.KEYS]
        lines = hint_lines(hints, width - 2)
        assert len(lines) <= 2, (screen.__name__, [line.plain for line in lines])
        assert all(cell_len(line.plain) <= width - 2 for line in lines), screen.__name__
        shown = " ".join(line.plain for line in lines)
        assert all(f" {key}  {label}" in shown for key, label in hints), screen.__name__


def test_hints_wrap_between_hints_never_inside_one() -> None:
    hints = [("Esc", "Log out"), ("P", "Report a problem"), ("H", "Hand over")]
    lines = [line.plain for line in hint_lines(hints, 30)]
    assert lines == [" Esc  Log out", " P  Report a problem", " H  Hand over"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", [*SIZES, (220, 60)])
async def test_the_board_shows_every_hint_and_whole_cells(
    lab: Lab, make_app: MakeApp, language: str, size: tuple[int, int]
) -> None:
    app = make_app(language=language)
    async with app.run_test(size=size) as pilot:
        maker = getattr(lab, f"{language}_maker")
        board = await open_board(pilot, maker.badge_id or "")
        assert app.language == language
        lines = drawn_lines(app)
        assert len(lines) == size[1]
        hints = board.query_one(KeyHints)
        drawn_hints = lines[-hints.size.height :]
        for key, label in hints.hints:
            assert any(f" {key}  {label}" in line for line in drawn_hints), (key, label)
        note = translator(language).gettext("First free slot of this kind, at any site")
        assert any(f" N  {note}" in line for line in lines), note  # the day's note, whole
        grid = board.query_one("#grid", BoardGrid)
        labels = set(cell_labels(translator(language).gettext).values())
        assert all(cell_len(label) + 2 <= grid.cell_width for label in labels)
        top = grid.region.y
        shown_hours = [h for h in grid.hours if h in lines[top]]
        assert len(shown_hours) >= 4, lines[top]
        for y in range(1, min(grid.size.height, grid.row_count + 1)):
            line = lines[top + y][grid.region.x :]
            cells = line[grid._name_width + 2 :]
            words = [
                cells[i : i + grid.cell_width].strip()
                for i in range(0, grid.cell_width * len(shown_hours), grid.cell_width)
            ]
            assert all(word in labels for word in words), (line, words)


async def test_a_field_drops_zero_width_joiners_as_text_arrives() -> None:
    from textual.app import ComposeResult

    from kiosk.widgets.text_field import TextField

    class FieldApp(App[None]):
        def compose(self) -> ComposeResult:
            yield TextField(id="field")

    app = FieldApp()
    async with app.run_test(size=(40, 5)) as pilot:
        field = app.query_one(TextField)
        field.focus()
        await pilot.press("a")
        field.insert_text_at_cursor("👩\u200d💻❤\ufe0f\u200b")
        await pilot.pause()
        assert field.value == "a👩💻❤"
        assert cell_len(field.value) == 1 + 2 + 2 + 1


async def test_a_refilled_table_keeps_columns_as_wide_as_their_content() -> None:
    """A frame painted between a refill and the table's idle measure used to keep every column
    at its header's width ("Trotec   06  1  rése") until something else redrew the table."""
    from textual.app import ComposeResult
    from textual.widgets import DataTable

    from kiosk.widgets.table import Table

    rows = [("Trotec Speedy 360 #1", "06", "1", "réservé")] * 3

    class TableApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Table[str]()

        def fill(self) -> None:
            table: DataTable[str] = self.query_one(DataTable)
            table.clear(columns=True)
            table.add_columns("M", "N", "#", "S")
            table.add_rows(rows)

    app = TableApp()
    async with app.run_test(size=(60, 8)) as pilot:
        app.fill()
        await pilot.pause()
        app.fill()
        drawn_lines(app)  # a frame before the idle measure (a loaded machine)
        await pilot.pause()
        assert " Trotec Speedy 360 #1  06  1  réservé" in drawn_lines(app)[1]
