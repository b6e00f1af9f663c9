"""What every kiosk screen shares: translation, the message line, the key hints, and the hand-off
of worker failures to the app's one handler."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker

from kiosk.messages import KioskMessage
from kiosk.widgets.keys import KeyHints
from kiosk.widgets.message_line import MessageLine

if TYPE_CHECKING:
    from kiosk.app import KioskApp


class KioskScreen(Screen[str | None]):
    """A full screen of the kiosk, recomposed when the language changes; it may be dismissed with
    a sentence for the screen below to show."""

    KEYS: ClassVar[list[tuple[str, str]]] = []
    """(key label, msgid) pairs shown at the bottom; mark the msgids with N_."""

    language: reactive[str] = reactive("", recompose=True)
    """The language the screen is drawn in; changing it redraws the screen."""

    @property
    def kiosk(self) -> KioskApp:
        from kiosk.app import KioskApp

        app = self.app
        assert isinstance(app, KioskApp)
        return app

    def _(self, msgid: str) -> str:
        """`msgid` in the language of the person at the terminal."""
        return self.kiosk._(msgid)

    def key_hints(self) -> KeyHints:
        return KeyHints([(key, self._(msgid)) for key, msgid in self.KEYS])

    def show_message(self, text: str, *, error: bool = False) -> None:
        """Write `text` on the screen's message line (if it has one) and keep it until replaced."""
        for line in self.query(MessageLine):
            line.show(text, error=error)

    def clear_message(self) -> None:
        for line in self.query(MessageLine):
            line.show("")

    @property
    def is_showing(self) -> bool:
        """On the app's screen stack, not on its way out (popped by a log-out or the idle
        time-out, its widgets going or gone)."""
        return self.is_attached and self in self.app.screen_stack

    def machine_in_question(self) -> int | None:
        """The machine (equipment id) this screen is about, for guidance after a refusal."""
        return None

    def refresh_bookings(self) -> None:
        """The maker's bookings changed behind this screen (a cancellation made later)."""

    def done(self, text: str | None) -> None:
        """A screen pushed from this one came back with a sentence to show."""
        if text:
            self.show_message(text)

    def follow_language(self) -> None:
        """Recompose (on this screen's own message loop) if the language changed."""
        if self.is_showing:
            self.language = self.kiosk.language

    async def recompose(self) -> None:
        if not self.is_showing:
            return
        await super().recompose()
        self.after_recompose()

    async def _on_message(self, message: Message) -> None:
        # What a worker or a widget posted may reach a screen already popped: it has nothing
        # left to show it on, and the person it was for is gone.
        if isinstance(message, KioskMessage) and not self.is_showing:
            return
        await super()._on_message(message)

    def after_recompose(self) -> None:
        """Put back what a recompose loses (focus, loaded data): screens override it."""

    def on_mount(self) -> None:
        # Textual calls the on_mount of every class of the screen, this one included: no super().
        self.set_reactive(KioskScreen.language, self.kiosk.language)

    def on_screen_resume(self) -> None:
        self.follow_language()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.kiosk.worker_changed(event)
