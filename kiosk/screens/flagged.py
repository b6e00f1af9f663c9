"""The uses a driver allowed while the server was unreachable and that the server refused when
they arrived (F7 on the waiting uses): real uses, recorded and charged as usual, for a manager to
look at (docs/badges.md). Newest first, in the site's time."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from fabdesk.db import session_scope
from kiosk.i18n import N_
from kiosk.screens.table_screen import TableScreen
from scheduling.badges import flagged_uses


@dataclass(frozen=True)
class FlaggedLine:
    when: str
    machine: str
    member: str
    refused: str
    """The server's refusal code (docs/refusals.md)."""
    offline: str


class FlaggedListed(Message):
    """The site's flagged offline uses were read."""

    def __init__(self, lines: list[FlaggedLine]) -> None:
        self.lines = lines
        super().__init__()


class FlaggedScreen(TableScreen):
    TABLE = "flagged-uses"
    KEYS = [("↑↓", N_("Use")), ("Esc", N_("Back"))]

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[FlaggedLine] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="flagged"):
            yield Static(self._("Uses allowed offline that the server refuses"), classes="title")
            yield DataTable(id=self.TABLE, cursor_type="row", zebra_stripes=True)
            yield Static("", id="empty")
        yield self.key_hints()

    @work(thread=True, exclusive=True, group="flagged", exit_on_error=False)
    def load(self) -> None:
        with session_scope(self.kiosk.engine) as session:
            lines = [
                FlaggedLine(
                    use.decided_at.astimezone(ZoneInfo(use.timezone)).strftime("%d/%m/%Y %H:%M"),
                    use.equipment_tag,
                    use.member_number or "?",
                    use.result,
                    use.offline_result or "",
                )
                for use in flagged_uses(session, site_code=self.kiosk.site)
            ]
        self.post_message(FlaggedListed(lines))

    def on_flagged_listed(self, message: FlaggedListed) -> None:
        self.lines = message.lines
        self.loaded = True
        self.fill()

    def fill(self) -> None:
        self.refill(
            [
                self._("When"),
                self._("Machine"),
                self._("Member"),
                self._("Refused because"),
                self._("Driver said"),
            ],
            [
                [line.when, line.machine, line.member, line.refused, line.offline]
                for line in self.lines
            ],
        )
        empty = self.loaded and not self.lines
        self.query_one("#empty", Static).update(
            self._("No use allowed offline was refused.") if empty else ""
        )
