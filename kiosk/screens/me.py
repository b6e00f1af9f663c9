"""Me: my bookings (check in, cancel, extend), my cheques with what is left, what I owe, my recent
usage and charges (dispute one)."""

from __future__ import annotations

from datetime import timedelta

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from fabdesk.accounting.charges import maker_balance
from fabdesk.accounting.cheques import cheques_of
from fabdesk.accounting.statements import ChargeLine, recent_charges
from fabdesk.db import session_scope, write_session
from fabdesk.models import LIVE_STATES
from fabdesk.usage.history import UsageLine, recent_sessions
from kiosk.i18n import N_
from kiosk.messages import BookingChanged, BookingLine, ChequeLine, MeLoaded
from kiosk.screens.table_screen import LoadedScreen
from kiosk.views import BOOKING_STATES, charge_cells, usage_cells
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.table import Table
from scheduling.bookings import bookings_of, check_in, extend
from scheduling.lookups import get_booking
from scheduling.machines import load_machine

EXTEND_BY = timedelta(minutes=30)
"""What one press of E adds to a booking."""
RECENT = 10
"""How many usage sessions and charges Me shows (the newest)."""


class MeScreen(LoadedScreen):
    KEYS = [
        ("C", N_("Check in")),
        ("X", N_("Cancel")),
        ("U", N_("Undo")),
        ("E", N_("Extend by 30 min")),
        ("D", N_("Dispute a charge")),
        ("T", N_("Phone")),
        ("Esc", N_("Back")),
    ]
    BINDINGS = [
        Binding("escape", "back", show=False),
        Binding("c", "check_in", show=False),
        Binding("x", "cancel", show=False),
        Binding("u", "undo", show=False),
        Binding("e", "extend", show=False),
        Binding("d", "dispute", show=False),
        Binding("t", "tokens", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.bookings: list[BookingLine] = []
        self.cheques: list[ChequeLine] = []
        self.owed = 0
        self.usage: list[UsageLine] = []
        self.charges: list[ChargeLine] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="me"):
            yield Static(self._("My bookings"), classes="title")
            yield Table(id="bookings", cursor_type="row")
            yield Static(self._("My cheques"), classes="section")
            yield Table(id="cheques", cursor_type="none")
            yield Static("", id="balance")
            yield Static(self._("My recent usage"), classes="section")
            yield Table(id="usage", cursor_type="none")
            yield Static(self._("My charges"), classes="section")
            yield Table(id="charges", cursor_type="none")
            yield Static("", id="empty")
            yield MessageLine(id="message")
        yield self.key_hints()

    @work(thread=True, exclusive=True, group="me", exit_on_error=False)
    def load(self) -> None:
        kiosk = self.kiosk
        assert kiosk.maker is not None
        maker_id = kiosk.maker.maker_id
        now = kiosk.clock()
        zone = kiosk.zone
        with session_scope(kiosk.engine) as session:
            names: dict[int, str] = {}
            bookings = []
            for booking in bookings_of(
                session, maker_id, since=now - timedelta(hours=12), states=list(LIVE_STATES)
            ):
                if booking.equipment_id not in names:
                    names[booking.equipment_id] = load_machine(
                        session, booking.equipment_id, kiosk.settings.scheduler
                    ).name
                bookings.append(
                    BookingLine(
                        booking.id or 0,
                        names[booking.equipment_id],
                        booking.starts_at.astimezone(zone).strftime("%d/%m %H:%M"),
                        booking.ends_at.astimezone(zone).strftime("%H:%M"),
                        booking.state.value,
                    )
                )
            cheques = [
                ChequeLine(
                    view.programme,
                    view.remaining_cents,
                    view.face_value_cents,
                    view.expires_on.strftime("%d/%m/%Y"),
                    view.expired,
                )
                for view in cheques_of(session, maker_id, now.astimezone(zone).date())
            ]
            owed = maker_balance(session, maker_id).owed_cents
            usage = recent_sessions(session, maker_id, limit=RECENT)
            charges = recent_charges(session, maker_id, limit=RECENT)
        self.post_message(MeLoaded(bookings, cheques, owed, usage, charges))

    def on_me_loaded(self, message: MeLoaded) -> None:
        self.bookings, self.cheques, self.owed = message.bookings, message.cheques, message.owed
        self.usage, self.charges = message.usage, message.charges
        self.fill()

    def fill(self) -> None:
        bookings: DataTable[str] = self.query_one("#bookings", DataTable)
        row = bookings.cursor_row
        bookings.clear(columns=True)
        bookings.add_columns(self._("Machine"), self._("From"), self._("To"), self._("Status"))
        for line in self.bookings:
            bookings.add_row(
                line.machine, line.starts_at, line.ends_at, self._(BOOKING_STATES[line.state])
            )
        if self.bookings:
            bookings.move_cursor(row=min(row, len(self.bookings) - 1))
        cheques: DataTable[str] = self.query_one("#cheques", DataTable)
        cheques.clear(columns=True)
        cheques.add_columns(self._("Programme"), self._("Left"), self._("Of"), self._("Expires"))
        for cheque in self.cheques:
            expires = cheque.expires_on + (f" ({self._('expired')})" if cheque.expired else "")
            cheques.add_row(
                cheque.programme,
                self.kiosk.words.money(cheque.remaining_cents),
                self.kiosk.words.money(cheque.face_value_cents),
                expires,
            )
        balance = (
            self._("You owe the lab {amount}.").format(amount=self.kiosk.words.money(self.owed))
            if self.owed > 0
            else self._("You owe nothing.")
        )
        self.query_one("#balance", Static).update(balance)
        usage: DataTable[str] = self.query_one("#usage", DataTable)
        usage.clear(columns=True)
        usage.add_columns(self._("Machine"), self._("Started"), self._("Measured"))
        usage.add_rows([usage_cells(line, self.kiosk.zone) for line in self.usage])
        charges: DataTable[str] = self.query_one("#charges", DataTable)
        charges.clear(columns=True)
        charges.add_columns(
            self._("Day"),
            self._("Machine"),
            self._("Amount"),
            self._("Cheques"),
            self._("You"),
            self._("Status"),
        )
        charges.add_rows([charge_cells(line, self.kiosk.language) for line in self.charges])
        self.query_one("#empty", Static).update(
            "" if self.bookings else self._("You have no booking to come.")
        )
        bookings.focus()

    def chosen(self) -> BookingLine | None:
        if not self.bookings:
            return None
        row = self.query_one("#bookings", DataTable).cursor_row
        return self.bookings[min(row, len(self.bookings) - 1)]

    def action_check_in(self) -> None:
        if line := self.chosen():
            self.change("check_in", line.booking_id)

    def action_cancel(self) -> None:
        """Ask first; then the cancellation waits `kiosk.undo_seconds` for U before it is made (a
        cancellation frees the slot for the waitlist at once: it cannot be taken back after)."""
        from kiosk.screens.confirm import ConfirmScreen

        line = self.chosen()
        if line is None or line.booking_id in self.kiosk.pending_cancels:
            return
        question = self._("Cancel your booking of {machine}, {start}?").format(
            machine=line.machine, start=line.starts_at
        )

        def answered(yes: str | None) -> None:
            if yes:
                self.kiosk.cancel_later(line.booking_id)
                seconds = self.kiosk.settings.kiosk.undo_seconds
                said = self.kiosk.words.ngettext(
                    "Cancelled in {n} second: press U to undo.",
                    "Cancelled in {n} seconds: press U to undo.",
                    seconds,
                )
                self.show_message(said.format(n=seconds))

        self.app.push_screen(ConfirmScreen(question), callback=answered)

    def refresh_bookings(self) -> None:
        self.load()

    def action_undo(self) -> None:
        if self.kiosk.undo_cancels():
            self.show_message(self._("Kept: your booking is not cancelled."))

    def action_extend(self) -> None:
        if line := self.chosen():
            self.change("extend", line.booking_id)

    @work(thread=True, exclusive=True, group="me-change", exit_on_error=False)
    def change(self, action: str, booking_id: int) -> None:
        kiosk = self.kiosk
        assert kiosk.maker is not None
        maker_id = kiosk.maker.maker_id
        now = kiosk.clock()
        rules = kiosk.settings.scheduler
        with write_session(kiosk.engine) as session:
            if action == "check_in":
                check_in(session, booking_id=booking_id, now=now, maker_id=maker_id, settings=rules)
                text = self._("Checked in. The machine is yours.")
            else:
                booking = get_booking(session, booking_id)
                extended = extend(
                    session,
                    booking_id=booking_id,
                    ends_at=booking.ends_at + EXTEND_BY,
                    now=now,
                    maker_id=maker_id,
                    settings=rules,
                )
                text = self._("Extended until {end}.").format(
                    end=extended.ends_at.astimezone(kiosk.zone).strftime("%H:%M")
                )
        self.post_message(BookingChanged(text))

    def on_booking_changed(self, message: BookingChanged) -> None:
        self.show_message(message.text)
        self.load()

    def action_dispute(self) -> None:
        from kiosk.screens.dispute import DisputeScreen

        self.app.push_screen(DisputeScreen(), callback=self.disputed)

    def action_tokens(self) -> None:
        from kiosk.screens.tokens import TokensScreen

        self.app.push_screen(TokensScreen(), callback=self.disputed)

    def disputed(self, text: str | None) -> None:
        if text:
            self.show_message(text)
        self.load()

    def action_back(self) -> None:
        self.dismiss(None)
