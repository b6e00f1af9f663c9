"""Where badges and labels arrive: scanners type fast and end with Enter, as people may too."""

from __future__ import annotations

from textual import on
from textual.widgets import Input

from kiosk.messages import Scanned

MAX_SCAN = 64
"""Longest value kept from one scan; the rest of a runaway burst is dropped."""


class ScanInput(Input):
    """An input that posts `Scanned` with the trimmed value on Enter, then empties itself."""

    def __init__(self, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, max_length=MAX_SCAN, id=id)

    @on(Input.Submitted)
    def _scanned(self, event: Input.Submitted) -> None:
        event.stop()
        value = "".join(ch for ch in event.value if ch.isprintable()).strip()
        self.value = ""
        if value:
            self.post_message(Scanned(value))
