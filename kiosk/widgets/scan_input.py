"""Where badges and labels arrive: scanners type fast and end with Enter, as people may too."""

from __future__ import annotations

from textual import events

from kiosk.messages import Scanned
from kiosk.widgets.text_field import TextField

MAX_SCAN = 64
"""Longest value kept from one scan; the rest of a runaway burst is dropped."""


class ScanInput(TextField):
    """An input that posts `Scanned` with the trimmed value on Enter, then empties itself.

    Enter is handled as the key arrives, not through a binding: bindings are resolved after the
    key has travelled up to the app, and by then a scanner's next burst may already be typed in.
    """

    def __init__(self, placeholder: str, *, id: str | None = None) -> None:
        super().__init__(placeholder=placeholder, max_length=MAX_SCAN, id=id)

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls this before Input's own key handler; prevent_default skips that one.
        if event.key != "enter":
            return
        event.stop()
        event.prevent_default()
        value = "".join(ch for ch in self.value if ch.isprintable()).strip()
        self.value = ""
        if value:
            self.post_message(Scanned(value))
