"""Hand over: the maker's running booking goes to another maker, who scans their badge here to
accept it (the rest of the slot, and the jobs started from now on, become theirs)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static

from fabdesk.db import session_scope, write_session
from fabdesk.models import BookingState, id_of
from inventory.makers import find_by_badge
from kiosk.i18n import N_
from kiosk.messages import ActionDone, BookingLine, Scanned
from kiosk.screens.base import KioskScreen
from kiosk.views import BOOKING_STATES
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput
from scheduling.bookings import bookings_of, hand_over
from scheduling.machines import load_machine


class RunningLoaded(Message):
    """The maker's running booking was read (none: `line` is None)."""

    def __init__(self, line: BookingLine | None) -> None:
        self.line = line
        super().__init__()


class HandOverScreen(KioskScreen):
    KEYS = [("Esc", N_("Back"))]
    BINDINGS = [Binding("escape", "back", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.line: BookingLine | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="handover"):
            yield Static(self._("Hand over my machine"), classes="title")
            yield Static(self.describe(), id="running")
            yield ScanInput(self._("Badge or member number"), id="scan")
            yield MessageLine(id="message")
        yield self.key_hints()

    def describe(self) -> str:
        if self.line is None:
            return self._("You have no running booking to hand over.")
        return self._(
            "{machine} until {end} ({state}): the maker who takes over scans their badge here."
        ).format(
            machine=self.line.machine,
            end=self.line.ends_at,
            state=self._(BOOKING_STATES[self.line.state]),
        )

    def on_mount(self) -> None:
        self.load()

    def after_recompose(self) -> None:
        self.query_one("#scan", ScanInput).focus()

    @work(thread=True, exclusive=True, group="handover", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        assert kiosk.maker is not None
        now = kiosk.clock()
        with session_scope(kiosk.engine) as session:
            running = bookings_of(
                session,
                kiosk.maker.maker_id,
                since=now,
                until=now,
                states=[BookingState.CHECKED_IN],
            )
            line = None
            if running:
                booking = running[0]
                line = BookingLine(
                    booking.id or 0,
                    load_machine(session, booking.equipment_id, kiosk.settings.scheduler).name,
                    booking.starts_at.astimezone(kiosk.zone).strftime("%H:%M"),
                    booking.ends_at.astimezone(kiosk.zone).strftime("%H:%M"),
                    booking.state.value,
                )
        self.post_message(RunningLoaded(line))

    def on_running_loaded(self, message: RunningLoaded) -> None:
        self.line = message.line
        self.query_one("#running", Static).update(self.describe())
        self.query_one("#scan", ScanInput).focus()

    def on_scanned(self, message: Scanned) -> None:
        self.clear_message()
        if self.line is not None:
            self.give(self.line.booking_id, message.value)

    @work(thread=True, exclusive=True, group="handover-give", exit_on_error=False)
    def give(self, booking_id: int, scanned: str) -> None:
        kiosk = self.kiosk
        assert kiosk.maker is not None
        with write_session(kiosk.engine) as session:
            receiver = find_by_badge(session, scanned)
            hand_over(
                session,
                booking_id=booking_id,
                from_maker_id=kiosk.maker.maker_id,
                to_maker_id=id_of(receiver),
                now=kiosk.clock(),
                settings=kiosk.settings.scheduler,
            )
            name = receiver.name
        self.post_message(ActionDone(self._("Handed over to {name}.").format(name=name)))

    def on_action_done(self, message: ActionDone) -> None:
        self.dismiss(message.text)

    def action_back(self) -> None:
        self.dismiss(None)
