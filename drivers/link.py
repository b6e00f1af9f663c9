"""A serial link read by a background thread: every line stamped with the time it arrived.

Lines are dated on the wall clock as it reads when they are taken: if it jumped since a line
came (NTP sets a Raspberry Pi's clock from 1970), the line moves with it, so the lines of one
poll never straddle a jump (see `drivers.outbox.redate` for the events already written).

The port is opened with `serial.serial_for_url`, so a device path, `socket://host:port` or
`rfc2217://…` all work. Raw bytes can be tapped (the GRBL bridge forwards them untouched).
"""

from __future__ import annotations

import logging
import termios
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

import serial

from drivers.errors import MachineUnavailable
from drivers.outbox import JUMP_TOLERANCE_SECONDS

log = logging.getLogger(__name__)

MAX_LINE = 512


def _keep_dtr_on_close(port: serial.SerialBase) -> None:
    """Clear HUPCL on a real tty: closing the port then leaves DTR as it is, so the driver's next
    open (a restart) does not pulse DTR, which resets Arduino-based controllers mid-job."""
    try:
        fd = port.fileno()
        attributes = termios.tcgetattr(fd)
        attributes[2] &= ~termios.HUPCL
        termios.tcsetattr(fd, termios.TCSANOW, attributes)
    except (AttributeError, OSError, termios.error, serial.SerialException):
        pass  # not a local tty (socket://, rfc2217://): nothing to keep


class SerialLink:
    def __init__(
        self,
        url: str,
        baudrate: int,
        clock: Callable[[], datetime],
        *,
        tap: Callable[[bytes], None] | None = None,
    ) -> None:
        self.url = url
        self.baudrate = baudrate
        self.clock = clock
        self.tap = tap
        self._port: serial.SerialBase | None = None
        self._lines: deque[tuple[datetime, float, str]] = deque(maxlen=10_000)
        """(wall clock, monotonic clock, text) of each line as it arrived."""
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()
        self.failure: str | None = None
        self.last_heard: datetime | None = None
        self.heard_at: float | None = None
        """`last_heard` on the monotonic clock (the wall clock may jump: NTP on a Pi)."""
        self.arrived = threading.Event()

    def open(self) -> None:
        try:
            port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.05)
        except (serial.SerialException, OSError, ValueError) as error:
            raise MachineUnavailable(f"cannot open {self.url}: {error}") from error
        _keep_dtr_on_close(port)
        self._port = port
        self.failure = None
        self._closing.clear()
        self._thread = threading.Thread(target=self._read_loop, name="serial-reader", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        port, self._port = self._port, None
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                log.debug("close_failed url=%s", self.url)

    def write(self, data: bytes) -> None:
        port = self._port
        if port is None or self.failure is not None:
            raise MachineUnavailable(self.failure or "port closed")
        try:
            with self._write_lock:
                port.write(data)
        except (serial.SerialException, OSError) as error:
            self.failure = f"write failed: {error}"
            raise MachineUnavailable(self.failure) from error

    def lines(self) -> list[tuple[datetime, str]]:
        """Lines received since the last call (oldest first); raises if the port is gone."""
        taken: list[tuple[datetime, float, str]] = []
        while self._lines:
            taken.append(self._lines.popleft())
        if not taken and self.failure is not None:
            raise MachineUnavailable(self.failure)
        skew = self.clock().timestamp() - time.monotonic()
        return [(dated(wall, at, skew), text) for wall, at, text in taken]

    def peek(self) -> list[str]:
        """The texts of the lines waiting, without taking them."""
        return [text for _, _, text in list(self._lines)]

    def unread(self, lines: list[tuple[datetime, str]]) -> None:
        """Put lines back in front of the queue, in order."""
        skew = self.clock().timestamp() - time.monotonic()
        self._lines.extendleft((t, t.timestamp() - skew, x) for t, x in reversed(lines))

    def _read_loop(self) -> None:
        port = self._port
        assert port is not None
        buffer = b""
        while not self._closing.is_set():
            try:
                chunk = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, TypeError, AttributeError) as error:
                # TypeError/AttributeError: pyserial's posix port closed under the reader.
                if not self._closing.is_set():
                    self.failure = f"read failed: {error}"
                self.arrived.set()
                return
            if not chunk:
                continue
            if self.tap is not None:
                self.tap(chunk)
            buffer += chunk
            if b"\n" not in buffer:
                if len(buffer) > MAX_LINE:
                    buffer = b""  # noise without line ends: drop it
                continue
            *complete, buffer = buffer.split(b"\n")
            now, at = self.clock(), time.monotonic()
            self.last_heard, self.heard_at = now, at
            for raw in complete:
                text = raw[:MAX_LINE].decode("ascii", "replace").strip("\r\x00 ")
                if text:
                    self._lines.append((now, at, text))
            self.arrived.set()


def dated(wall: datetime, at: float, skew: float) -> datetime:
    """A line's time on the wall clock whose lead over the monotonic clock is now `skew`: moved
    by the wall clock's jump since the line came (a jump under JUMP_TOLERANCE_SECONDS is NTP's
    usual slewing, left alone)."""
    jump = skew - (wall.timestamp() - at)
    return wall + timedelta(seconds=jump) if abs(jump) >= JUMP_TOLERANCE_SECONDS else wall
