"""A text field that keeps only what a terminal draws as wide as it measures.

An emoji built with a zero-width joiner ("👩‍💻") is one picture on most terminals but several wide
characters to the width tables, so the field's right border was drawn twice. Joiners and
variation selectors are dropped as text arrives (typed, scanned or pasted): the parts stay, each
as wide as measured.
"""

from __future__ import annotations

import unicodedata

from textual.widgets import Input

VARIATION_SELECTORS = range(0xFE00, 0xFE10)


def drop_joiners(text: str) -> str:
    """`text` without format characters (zero-width joiners, directional marks) and variation
    selectors."""
    return "".join(
        ch for ch in text if unicodedata.category(ch) != "Cf" and ord(ch) not in VARIATION_SELECTORS
    )


class TextField(Input):
    """An `Input` for people's and scanners' text, without zero-width characters."""

    def replace(self, text: str, start: int, end: int) -> None:
        super().replace(drop_joiners(text), start, end)
