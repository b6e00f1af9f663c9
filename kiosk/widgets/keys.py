"""The key hints at the bottom of a screen, already translated by the screen."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyHints(Static):
    DEFAULT_CSS = """
    KeyHints { dock: bottom; height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, hints: list[tuple[str, str]]) -> None:
        text = Text()
        for key, label in hints:
            text.append(f" {key} ", style="bold reverse")
            text.append(f" {label}  ")
        super().__init__(text)
