"""Book a slot (or walk in now, or wait for a taken slot): pick a length, confirm; every refusal
of the booking rules comes back as sentences in the maker's language. A maker linked to partner
organisations picks who pays: themself or one of them (it is then billed for the use)."""

from __future__ import annotations

from datetime import datetime, timedelta

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from fabdesk.db import session_scope, write_session
from inventory.organisations import organisations_of
from kiosk.i18n import N_
from kiosk.messages import (
    ActionDone,
    BookingConfirmed,
    NextFreeFound,
    PayersLoaded,
    WaitlistJoined,
)
from kiosk.screens.base import KioskScreen
from kiosk.views import BoardRow, Slot
from kiosk.widgets.message_line import MessageLine
from scheduling.bookings import book, walk_in
from scheduling.waitlist import join

LENGTHS = (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2), timedelta(hours=3))
"""What keys 1 to 4 choose."""


def _length_label(length: timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"


class BookScreen(KioskScreen):
    KEYS = [("1-4", N_("Length")), ("⏎", N_("Confirm")), ("Esc", N_("Back"))]
    BINDINGS = [
        Binding("escape", "back", show=False),
        Binding("enter", "confirm", show=False),
        Binding("o", "next_payer", show=False),
        Binding("n", "book_next_free", show=False),
        *[Binding(str(n + 1), f"length({n})", show=False) for n in range(len(LENGTHS))],
    ]

    def __init__(self, row: BoardRow, slot: Slot | None, mode: str) -> None:
        super().__init__()
        self.row = row
        self.slot = slot
        self.mode = mode
        """book, walk_in or waitlist."""
        self.length = LENGTHS[1]
        self.payers: list[tuple[int, str]] = []
        """The organisations the maker may book for; none for most makers."""
        self.payer: int | None = None
        """The organisation that pays, or None: the maker."""
        self.next_free: Slot | None = None
        """For a taken slot: where its machine is free next, as long (N books it)."""

    def compose(self) -> ComposeResult:
        titles = {
            "book": self._("Book a slot"),
            "walk_in": self._("Walk in now"),
            "waitlist": self._("This slot is taken"),
        }
        with Vertical(id="book"):
            yield Static(titles[self.mode], classes="title")
            yield Static(self._("Machine: {machine}").format(machine=self.row.name))
            yield Static(self.when(), id="when")
            if self.mode == "waitlist":
                yield Static(self._("Press Enter to join the waitlist: you will be told if it "
                                    "frees up."))  # fmt: skip
                next_free = Static("", id="next-free")
                next_free.display = False
                yield next_free
            else:
                yield Static(self.lengths(), id="lengths")
                payer = Static("", id="payer")
                payer.display = False
                yield payer
            yield MessageLine(id="message")
        yield self.key_hints()

    def on_mount(self) -> None:
        if self.mode != "waitlist":
            self.load_payers()
        elif self.slot is not None:
            self.find_next_free(self.slot)

    def machine_in_question(self) -> int:
        return self.row.equipment_id

    @work(thread=True, exclusive=True, group="book-next-free", exit_on_error=False)
    def find_next_free(self, taken: Slot) -> None:
        """Where the taken slot's machine is free next, for as long, from that slot on."""
        from scheduling.availability import next_free_slot

        kiosk = self.kiosk
        rules = kiosk.settings.scheduler
        with session_scope(kiosk.engine) as session:
            slot = next_free_slot(
                session,
                self.row.category_code,
                taken.ends_at - taken.starts_at,
                max(taken.starts_at, kiosk.clock()),
                days=rules.booking.max_days_ahead,
                settings=rules,
                equipment_id=self.row.equipment_id,
            )
        self.post_message(NextFreeFound(slot))

    def on_next_free_found(self, message: NextFreeFound) -> None:
        from scheduling.availability import FreeSlot

        if not isinstance(message.slot, FreeSlot):
            return
        self.next_free = Slot("free", message.slot.starts_at, message.slot.ends_at)
        words = self.kiosk.words
        line = self.query_one("#next-free", Static)
        line.update(
            self._("Free next: {start} to {end}. Press N to book it instead.").format(
                start=words.when(message.slot.starts_at, self.kiosk.timezone),
                end=words.time(message.slot.ends_at, self.kiosk.timezone),
            )
        )
        line.display = True

    def action_book_next_free(self) -> None:
        """Book the next free stretch instead: this screen becomes the booking of it."""
        if self.mode != "waitlist" or self.next_free is None:
            return
        self.mode, self.slot, self.next_free = "book", self.next_free, None
        self.length = self.slot.ends_at - self.slot.starts_at
        self.refresh(recompose=True)
        self.load_payers()

    @work(thread=True, exclusive=True, group="book-payers", exit_on_error=False)
    def load_payers(self) -> None:
        maker = self.kiosk.maker
        if maker is None:
            return
        with session_scope(self.kiosk.engine) as session:
            payers = [(o.id or 0, o.name) for o in organisations_of(session, maker.maker_id)]
        self.post_message(PayersLoaded(payers))

    def on_payers_loaded(self, message: PayersLoaded) -> None:
        self.payers = message.payers
        self.show_payer()

    def show_payer(self) -> None:
        if not self.payers:
            return
        names = dict(self.payers)
        payer = self._("you") if self.payer is None else names[self.payer]
        line = self.query_one("#payer", Static)
        line.update(self._("Paid by: {payer}   [O] change").format(payer=payer))
        line.display = True

    def action_next_payer(self) -> None:
        """You, then each organisation in turn, then you again."""
        if not self.payers:
            return
        choices: list[int | None] = [None, *(id for id, _ in self.payers)]
        self.payer = choices[(choices.index(self.payer) + 1) % len(choices)]
        self.show_payer()

    def start(self) -> datetime:
        """When the booking starts: now for a walk-in; the slot's start, or the next minute when
        its hour has begun (picking the current hour books the rest of it, not the past)."""
        now = self.kiosk.clock()
        if self.mode == "walk_in" or self.slot is None:
            return now
        if self.mode == "book" and self.slot.starts_at < now:
            return (now + timedelta(minutes=1)).replace(second=0, microsecond=0)
        return self.slot.starts_at

    def when(self) -> str:
        start = self.start().astimezone(self.kiosk.zone)
        if self.mode == "waitlist" and self.slot is not None:
            end = self.slot.ends_at
        else:
            end = start + self.length
        return self._("From {start} to {end}").format(
            start=start.strftime("%d/%m %H:%M"), end=end.strftime("%H:%M")
        )

    def lengths(self) -> str:
        return "   ".join(
            f"[{n + 1}] {_length_label(length)}" + (" ◀" if length == self.length else "")
            for n, length in enumerate(LENGTHS)
        )

    def action_length(self, index: int) -> None:
        self.length = LENGTHS[index]
        self.query_one("#when", Static).update(self.when())
        self.query_one("#lengths", Static).update(self.lengths())

    def action_confirm(self) -> None:
        maker = self.kiosk.maker
        if maker is None:
            return
        self.clear_message()
        start = self.start()
        end = self.slot.ends_at if self.mode == "waitlist" and self.slot else start + self.length
        self.submit(maker.maker_id, start, end)

    @work(thread=True, exclusive=True, group="book", exit_on_error=False)
    def submit(self, maker_id: int, start: datetime, end: datetime) -> None:
        kiosk = self.kiosk
        now = kiosk.clock()
        machine = self.row.equipment_id
        with write_session(kiosk.engine) as session:
            if self.mode == "walk_in":
                booking = walk_in(
                    session,
                    maker_id=maker_id,
                    equipment_id=machine,
                    length=self.length,
                    now=now,
                    settings=kiosk.settings.scheduler,
                    on_behalf_of=self.payer,
                )
                start, end = booking.starts_at, booking.ends_at
            elif self.mode == "waitlist":
                join(
                    session,
                    maker_id=maker_id,
                    equipment_id=machine,
                    starts_at=start,
                    ends_at=end,
                    now=now,
                )
            else:
                book(
                    session,
                    maker_id=maker_id,
                    equipment_id=machine,
                    starts_at=start,
                    ends_at=end,
                    now=now,
                    settings=kiosk.settings.scheduler,
                    on_behalf_of=self.payer,
                )
        zone = kiosk.zone
        span = {
            "machine": self.row.name,
            "start": start.astimezone(zone).strftime("%d/%m %H:%M"),
            "end": end.astimezone(zone).strftime("%H:%M"),
        }
        if self.mode == "waitlist":
            text = self._("You are on the waitlist for {machine}, {start} to {end}.").format(**span)
            self.post_message(WaitlistJoined(text))
        elif self.mode == "walk_in":
            text = self._("Checked in: {machine} is yours until {end}.").format(**span)
            self.post_message(BookingConfirmed(text))
        else:
            text = self._("Booked: {machine}, {start} to {end}.").format(**span)
            self.post_message(BookingConfirmed(text))

    @on(ActionDone)  # and its kinds: BookingConfirmed, WaitlistJoined
    def _done(self, message: ActionDone) -> None:
        self.dismiss(message.text)

    def action_back(self) -> None:
        self.dismiss(None)
