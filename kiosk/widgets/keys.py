"""The key hints at the bottom of a screen, already translated by the screen.

A hint ("Esc  Log out") is never cut: the hints fill as many lines as the width needs, each hint
whole on one line (a Linux console of 80 columns takes two lines in French and Dutch).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget


def hint_text(key: str, label: str) -> Text:
    text = Text()
    text.append(f" {key} ", style="bold reverse")
    text.append(f" {label} ")
    return text


def hint_lines(hints: list[tuple[str, str]], width: int) -> list[Text]:
    """The hints laid out in lines of at most `width` cells, in order, none split (a hint wider
    than `width` alone on its line is the only one that may be cut, by the terminal)."""
    lines: list[Text] = []
    line = Text()
    for key, label in hints:
        hint = hint_text(key, label)
        if line.plain and cell_len(line.plain) + cell_len(hint.plain.rstrip()) > width:
            lines.append(line)
            line = Text()
        line.append_text(hint)
    if line.plain or not lines:
        lines.append(line)
    for each in lines:
        each.rstrip()
    return lines


class KeyHints(Widget):
    DEFAULT_CSS = """
    KeyHints {
        dock: bottom; height: auto; background: $panel; color: $text-muted; padding: 0 1;
    }
    """

    def __init__(self, hints: list[tuple[str, str]]) -> None:
        super().__init__()
        self.hints = hints

    def lines(self, width: int) -> list[Text]:
        return hint_lines(self.hints, max(1, width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width))
