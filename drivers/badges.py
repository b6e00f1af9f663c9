"""Badge readers on the Pi: a USB reader that types like a keyboard, and an RDM6300 serial reader.

- **Keyboard readers** (most USB RFID readers, QR scanners) are read as Linux input events
  through python-evdev; the device is *grabbed*, so the typed badge never reaches a console or
  a login prompt on the Pi. Keys are decoded to a badge on Enter.
- **RDM6300** (125 kHz EM4100 cards, 9600 baud UART): frames `STX` + 10 hex digits (2 version,
  8 card) + 2 hex checksum (XOR of the 5 data bytes) + `ETX`, read through pyserial
  (`serial_for_url`: a device path or any pyserial URL). The card reads as 10 hex digits
  (`format = "hex"`) or as the 10-digit decimal number of its last 4 bytes, as most keyboard
  readers type it (`format = "decimal"`), so one card gives the same badge at both readers.

A reader runs in its own thread and calls `on_badge(badge)` once per presentation (a card held
on the reader repeats its frame: repeats within `repeat_seconds` are one presentation). Decoders
are pure; the threads reconnect with a bounded wait when the device goes away, logged once.
"""

from __future__ import annotations

import logging
import select
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal, Protocol

import serial

log = logging.getLogger(__name__)

BadgeCallback = Callable[[str], object]

# Linux input event codes (linux/input-event-codes.h), the subset a badge is typed with.
EV_KEY = 1
KEY_DOWN = 1
_KEYS: dict[int, str] = {
    2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9", 11: "0",
    16: "Q", 17: "W", 18: "E", 19: "R", 20: "T", 21: "Y", 22: "U", 23: "I", 24: "O", 25: "P",
    30: "A", 31: "S", 32: "D", 33: "F", 34: "G", 35: "H", 36: "J", 37: "K", 38: "L",
    44: "Z", 45: "X", 46: "C", 47: "V", 48: "B", 49: "N", 50: "M", 12: "-",
    71: "7", 72: "8", 73: "9", 75: "4", 76: "5", 77: "6", 79: "1", 80: "2", 81: "3", 82: "0",
}  # fmt: skip
"""Key codes to characters: digits of both rows, keypad digits, letters (badges are upper-case)."""
_ENTER = {28, 96}  # KEY_ENTER, KEY_KPENTER
_MAX_BADGE = 64


class KeyboardDecoder:
    """Key-down events of a keyboard reader -> a badge at each Enter (pure)."""

    def __init__(self) -> None:
        self._typed: list[str] = []

    def feed(self, type_: int, code: int, value: int) -> str | None:
        if type_ != EV_KEY or value != KEY_DOWN:
            return None
        if code in _ENTER:
            badge, self._typed = "".join(self._typed), []
            return badge or None
        char = _KEYS.get(code)
        if char is not None and len(self._typed) < _MAX_BADGE:
            self._typed.append(char)
        return None


STX, ETX = 0x02, 0x03


class Rdm6300Decoder:
    """Bytes from an RDM6300 -> badges (pure). Bad checksums and torn frames are dropped."""

    def __init__(self, badge_format: Literal["hex", "decimal"] = "hex") -> None:
        self.badge_format = badge_format
        self._frame = bytearray()
        self._inside = False

    def feed(self, data: bytes) -> list[str]:
        found = []
        for byte in data:
            if byte == STX:
                self._frame.clear()
                self._inside = True
            elif byte == ETX and self._inside:
                self._inside = False
                badge = self._badge(bytes(self._frame))
                if badge is not None:
                    found.append(badge)
            elif self._inside:
                self._frame.append(byte)
                if len(self._frame) > 12:
                    self._inside = False
        return found

    def _badge(self, frame: bytes) -> str | None:
        try:
            text = frame.decode("ascii")
            values = bytes.fromhex(text)
        except (UnicodeDecodeError, ValueError):
            return None
        if len(values) != 6:
            return None
        checksum = 0
        for value in values[:5]:
            checksum ^= value
        if checksum != values[5]:
            log.debug("badge_frame_bad_checksum")
            return None
        if self.badge_format == "decimal":
            return f"{int.from_bytes(values[1:5], 'big'):010d}"
        return text[:10].upper()


def rdm6300_frame(card: bytes) -> bytes:
    """The frame an RDM6300 sends for a 5-byte card (version + 4 bytes): for tests, simulators."""
    checksum = 0
    for value in card:
        checksum ^= value
    return bytes([STX]) + (card.hex() + f"{checksum:02x}").upper().encode() + bytes([ETX])


class Debounce:
    """One presentation per badge: the same badge again within `seconds` is a repeat (pure)."""

    def __init__(self, seconds: float, monotonic: Callable[[], float]) -> None:
        self.seconds = seconds
        self.monotonic = monotonic
        self._last: tuple[str, float] | None = None

    def fresh(self, badge: str) -> bool:
        now = self.monotonic()
        last, self._last = self._last, (badge, now)
        return last is None or last[0] != badge or now - last[1] > self.seconds


class BadgeReader(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


class _ReaderThread:
    """A reader's loop: open, read until stopped or gone, wait, open again (logged once)."""

    name = "badge-reader"

    def __init__(
        self,
        on_badge: BadgeCallback,
        *,
        repeat_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_badge = on_badge
        self.debounce = Debounce(repeat_seconds, monotonic)
        self.stop_event = threading.Event()
        self.ready = threading.Event()
        """Set while the device is open and read."""
        self._thread: threading.Thread | None = None
        self._failing = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def emit(self, badges: Iterable[str]) -> None:
        for badge in badges:
            if self.debounce.fresh(badge):
                try:
                    self.on_badge(badge)
                except Exception:  # the reader's supervision: a bug must not stop reading
                    log.exception("badge_handling_failed")

    def _run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.read_until_stopped()
            except OSError as error:
                self.ready.clear()
                if not self._failing:
                    log.error("badge_reader_lost reason=%s: retrying", error)
                self._failing = True
                self.stop_event.wait(2.0)

    def opened(self) -> None:
        if self._failing:
            log.warning("badge_reader_recovered")
        else:
            log.info("badge_reader_ready reader=%s", self.name)
        self._failing = False
        self.ready.set()

    def read_until_stopped(self) -> None:
        raise NotImplementedError


class KeyboardReader(_ReaderThread):
    """A keyboard-like reader at `/dev/input/…` (use its stable `/dev/input/by-id/…` name)."""

    name = "badge-keyboard"

    def __init__(self, path: str, on_badge: BadgeCallback, *, repeat_seconds: float) -> None:
        super().__init__(on_badge, repeat_seconds=repeat_seconds)
        self.path = path

    def read_until_stopped(self) -> None:
        import evdev  # only on Pis with a keyboard reader (it costs memory)

        device = evdev.InputDevice(self.path)
        try:
            device.grab()  # the keystrokes reach this driver only, never a console
            self.opened()
            decoder = KeyboardDecoder()
            while not self.stop_event.is_set():
                ready, _, _ = select.select([device.fd], [], [], 0.5)
                if ready:
                    self.emit(_typed(decoder, device.read()))
        finally:
            device.close()


def _typed(decoder: KeyboardDecoder, events: Iterable[Any]) -> list[str]:
    found = (decoder.feed(e.type, e.code, e.value) for e in events)
    return [badge for badge in found if badge]


class Rdm6300Reader(_ReaderThread):
    name = "badge-rdm6300"

    def __init__(
        self,
        url: str,
        on_badge: BadgeCallback,
        *,
        baudrate: int = 9600,
        badge_format: Literal["hex", "decimal"] = "hex",
        repeat_seconds: float,
    ) -> None:
        super().__init__(on_badge, repeat_seconds=repeat_seconds)
        self.url, self.baudrate, self.badge_format = url, baudrate, badge_format

    def read_until_stopped(self) -> None:
        try:
            port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.5)
        except serial.SerialException as error:
            raise OSError(str(error)) from error
        decoder = Rdm6300Decoder(self.badge_format)
        try:
            self.opened()
            while not self.stop_event.is_set():
                try:
                    data = port.read(64)
                except serial.SerialException as error:
                    raise OSError(str(error)) from error
                if data:
                    self.emit(decoder.feed(data))
        finally:
            port.close()
