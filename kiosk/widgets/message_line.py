"""One line for what just happened: a confirmation, or a refusal in the person's language."""

from __future__ import annotations

from textual.widgets import Static


class MessageLine(Static):
    DEFAULT_CSS = """
    MessageLine { height: auto; min-height: 1; padding: 0 1; }
    MessageLine.error { color: $text-error; background: $error-muted; text-style: bold; }
    MessageLine.info { color: $text-success; background: $success-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.text = ""

    def show(self, text: str, *, error: bool = False) -> None:
        self.text = text
        self.update(text)
        self.set_class(bool(text) and error, "error")
        self.set_class(bool(text) and not error, "info")
