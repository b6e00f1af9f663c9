"""A manager's audit of this site: scan labels, see found / misplaced / unknown live, close it and
read the report (with what is missing)."""

from __future__ import annotations

from datetime import date

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from fabdesk.actors import actor_for
from fabdesk.db import write_session
from fabdesk.errors import NotFound
from fabdesk.models import ScanOutcome
from inventory.audit import (
    audit_progress,
    audit_report,
    close_audit,
    open_audit,
    open_audit_of,
    scan,
)
from kiosk.i18n import N_, translator
from kiosk.messages import AuditClosed, AuditOpened, AuditScanned, Scanned
from kiosk.screens.base import KioskScreen
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput
from kiosk.widgets.table import Table

COUNTS: dict[str, tuple[str, str]] = {
    "found": ("{n} found", "{n} found"),
    "misplaced": ("{n} misplaced", "{n} misplaced"),
    "missing": ("{n} missing", "{n} missing"),
    "unknown": ("{n} unknown", "{n} unknown"),
    "duplicate": ("{n} already scanned", "{n} already scanned"),
}
"""Singular and plural msgids of each count of the summary (French: "1 trouvé", "2 trouvés")."""

PROGRESS = (
    "Progress: {seen} of {expected} expected item",
    "Progress: {seen} of {expected} expected items",
)
"""How many of the items expected at the site were seen (plural on the expected ones)."""

OUTCOMES: dict[str, str] = {
    "found": N_("found"),
    "misplaced": N_("misplaced"),
    "missing": N_("missing"),
    "unknown": N_("unknown"),
    "duplicate": N_("already scanned"),
}
FLAGS: dict[str, str] = {
    "retired": N_("retired in the register!"),
    "lent_out": N_("lent out in the register!"),
}


class AuditScreen(KioskScreen):
    KEYS = [("F9", N_("Close the audit")), ("Esc", N_("Back"))]
    BINDINGS = [
        Binding("escape", "back", show=False),
        Binding("f9", "close_audit", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.audit_id: int | None = None
        self.counts: dict[str, int] = {}
        self.scans: list[tuple[str, str, str, str]] = []
        self.progress = (0, 0)
        """(seen, expected) items of the site."""
        self.missing: list[tuple[str, str, str, date | None]] = []
        """What closing found missing: (tag, name, registered location, day last seen)."""
        self.closed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="audit"):
            yield Static(self._("Audit of this site"), classes="title")
            yield Static(self._("Scan the label of each item you see."), id="prompt")
            yield ScanInput(self._("Asset label"), id="label")
            yield Static(self.progress_text(), id="progress")
            yield Static(self.summary(), id="counts")
            yield MessageLine(id="message")
            yield Table(id="scans", cursor_type="none")
        yield self.key_hints()

    def summary(self) -> str:
        words = translator(self.kiosk.language)
        return "   ".join(
            words.ngettext(singular, plural, n).format(n=n)
            for key, (singular, plural) in COUNTS.items()
            for n in [self.counts.get(key, 0)]
        )

    def progress_text(self) -> str:
        seen, expected = self.progress
        words = translator(self.kiosk.language)
        return words.ngettext(*PROGRESS, expected).format(seen=seen, expected=expected)

    def on_mount(self) -> None:
        self.open()

    def after_recompose(self) -> None:
        self.fill()

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False)
    def open(self) -> None:
        kiosk = self.kiosk
        assert kiosk.manager is not None
        with write_session(kiosk.engine) as session:  # it writes: the lock from the start
            try:
                audit = open_audit_of(session, kiosk.site)
            except NotFound:
                actor = actor_for(session, kiosk.manager.maker_id, "kiosk")
                audit = open_audit(session, kiosk.site, actor=actor, now=kiosk.clock())
            report = audit_report(session, audit.id or 0)
            counts = {o.value: n for o, n in report.counts().items()}
            progress = audit_progress(session, audit.id or 0)
        self.post_message(AuditOpened(audit.id or 0, counts, (progress.seen, progress.expected)))

    def on_audit_opened(self, message: AuditOpened) -> None:
        self.audit_id = message.audit_id
        self.counts = message.counts
        self.progress = message.progress
        self.fill()

    def on_scanned(self, message: Scanned) -> None:
        if self.audit_id is not None and not self.closed:
            self.clear_message()
            self.record(self.audit_id, message.value)

    @work(thread=True, group="audit-scan", exit_on_error=False)
    def record(self, audit_id: int, content: str) -> None:
        kiosk = self.kiosk
        with write_session(kiosk.engine) as session:  # it writes: the lock from the start
            result = scan(session, audit_id, content, now=kiosk.clock())
            name = result.item.name if result.item else ""
            progress = audit_progress(session, audit_id)
        seen = (progress.seen, progress.expected)
        self.post_message(
            AuditScanned(audit_id, result.outcome.value, content, name, seen, flag=result.flag)
        )

    def on_audit_scanned(self, message: AuditScanned) -> None:
        self.counts[message.outcome] = self.counts.get(message.outcome, 0) + 1
        self.progress = message.progress
        self.scans.insert(0, (message.content, message.name, message.outcome, message.flag))
        self.fill()

    def fill(self) -> None:
        self.query_one("#progress", Static).update(self.progress_text())
        self.query_one("#counts", Static).update(self.summary())
        table: DataTable[str] = self.query_one("#scans", DataTable)
        table.clear(columns=True)
        if self.closed:
            self.fill_missing(table)
            return
        table.add_columns(self._("Label"), self._("Item"), self._("Result"))
        for content, name, outcome, flag in self.scans[:200]:
            result = self._(OUTCOMES.get(outcome, outcome))
            if flag:
                result = f"{result} · {self._(FLAGS[flag])}"
            table.add_row(content, name, result)
        self.query_one("#label", ScanInput).focus()

    def fill_missing(self, table: DataTable[str]) -> None:
        """What closing found missing, with where the register last had it."""
        words = translator(self.kiosk.language)
        table.add_columns(
            self._("Label"), self._("Missing item"), self._("Last known place"), self._("Last seen")
        )
        for tag, name, place, seen_on in self.missing:
            table.add_row(tag, name, place, words.day(seen_on) if seen_on else self._("never"))

    def action_close_audit(self) -> None:
        if self.audit_id is not None and not self.closed:
            self.close(self.audit_id)

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False)
    def close(self, audit_id: int) -> None:
        kiosk = self.kiosk
        assert kiosk.manager is not None
        with write_session(kiosk.engine) as session:  # it writes: the lock from the start
            actor = actor_for(session, kiosk.manager.maker_id, "kiosk")
            report = close_audit(session, audit_id, actor=actor, now=kiosk.clock())
            counts = {o.value: n for o, n in report.counts().items()}
            missing = [
                (line.asset_tag, line.name, line.registered_location, line.last_seen_on)
                for line in report.group(ScanOutcome.MISSING)
            ]
        self.post_message(AuditClosed(audit_id, counts, missing))

    def on_audit_closed(self, message: AuditClosed) -> None:
        self.closed = True
        self.counts = message.counts
        self.missing = message.missing
        self.fill()
        self.show_message(
            self._("Audit {number} closed. Report: {summary}").format(
                number=message.audit_id, summary=self.summary()
            )
        )

    def action_back(self) -> None:
        self.dismiss(None)
