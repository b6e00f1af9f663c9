"""A simulated device on a pseudo-terminal (or a TCP socket), with faults on demand.

The device side runs in a thread: it reads bytes the driver writes, calls `receive`, and calls
`tick` about every 5 ms so motion and printing advance. `port` is what the driver opens: a stable
symlink to the pty (like a udev name) or `socket://127.0.0.1:N`. Faults: `drop_line()` (the cable
is pulled: the pty disappears), `replug()` (a new pty behind the same symlink), `garbage()` (noise
bytes on the line), `stall(seconds)` (the firmware stops answering for a while).
"""

from __future__ import annotations

import contextlib
import os
import random
import select
import socket
import threading
import time
import tty
from pathlib import Path
from typing import Self


class Simulator:
    tick_seconds = 0.005

    def __init__(self, link: Path | None = None, *, tcp: bool = False, seed: int = 0) -> None:
        self.link = link
        self.tcp = tcp
        self.random = random.Random(seed)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._stalled_until = 0.0
        self._fd: int | None = None
        self._slave: int | None = None
        self._server: socket.socket | None = None
        self._client: socket.socket | None = None
        self.written: bytearray = bytearray()
        """Everything the device sent (for tests and recorded traffic)."""
        self.record = False
        self._thread: threading.Thread | None = None
        self._plug()

    # -- the line --------------------------------------------------------------------------

    def _plug(self) -> None:
        if self.tcp:
            if self._server is None:
                self._server = socket.create_server(("127.0.0.1", 0))
            return
        master, slave = os.openpty()
        tty.setraw(slave)
        tty.setraw(master)
        self._fd, self._slave = master, slave
        if self.link is not None:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
            self.link.symlink_to(os.ttyname(slave))

    @property
    def port(self) -> str:
        """What a driver opens with `serial_for_url`."""
        if self.tcp:
            assert self._server is not None
            return f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        if self.link is not None:
            return str(self.link)
        assert self._slave is not None
        return os.ttyname(self._slave)

    def drop_line(self) -> None:
        """Pull the cable: the driver's port fails until `replug()`."""
        with self._lock:
            if self.tcp:
                if self._client is not None:
                    with contextlib.suppress(OSError):
                        self._client.shutdown(socket.SHUT_RDWR)
                    self._client.close()
                    self._client = None
                return
            for fd in (self._fd, self._slave):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._fd = self._slave = None
            if self.link is not None:
                with contextlib.suppress(FileNotFoundError):
                    self.link.unlink()

    def replug(self, *, reset: bool = True) -> None:
        """Plug the cable back: a new pty behind the same symlink.

        `reset`: the board restarts as the host opens it (USB-powered Arduino); without it, the
        board kept its own power and goes on with what it was doing.
        """
        with self._lock:
            if self._fd is None and not self.tcp:
                self._plug()
            if reset:
                self.on_plugged()

    def garbage(self, count: int = 64) -> None:
        """Noise on the line: random bytes, some line ends among them."""
        noise = bytes(self.random.randrange(256) for _ in range(count))
        self.send_bytes(noise + b"\r\n")

    def stall(self, seconds: float) -> None:
        """The firmware stops reading and answering for `seconds`."""
        self._stalled_until = time.monotonic() + seconds

    # -- device side -------------------------------------------------------------------------

    def send_bytes(self, data: bytes) -> None:
        with self._lock:
            if self.record:
                self.written += data
            try:
                if self.tcp:
                    if self._client is not None:
                        self._client.sendall(data)
                elif self._fd is not None:
                    os.write(self._fd, data)
            except OSError:
                pass

    def send(self, line: str) -> None:
        self.send_bytes(line.encode("ascii") + b"\r\n")

    def receive(self, data: bytes) -> None:
        raise NotImplementedError

    def tick(self, now: float) -> None:
        """Advance the simulated machine to `now` (monotonic seconds)."""

    def on_plugged(self) -> None:
        """The line came (back): a real board may greet the host here."""

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self.drop_line()
        if self._server is not None:
            self._server.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _readable(self) -> int | socket.socket | None:
        if not self.tcp:
            return self._fd
        if self._client is None and self._server is not None:
            ready, _, _ = select.select([self._server], [], [], 0)
            if ready:
                self._client, _ = self._server.accept()
                self.on_plugged()
        return self._client

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            if now < self._stalled_until:
                time.sleep(self.tick_seconds)
                continue
            source = self._readable()
            data = b""
            if source is None:
                time.sleep(self.tick_seconds)
            else:
                try:
                    ready, _, _ = select.select([source], [], [], self.tick_seconds)
                    if ready:
                        if isinstance(source, socket.socket):
                            data = source.recv(4096)
                            if not data:
                                source.close()
                                self._client = None
                        else:
                            data = os.read(source, 4096)
                except (OSError, ValueError):
                    data = b""
                    time.sleep(self.tick_seconds)
            with self._lock:
                if data:
                    self.receive(data)
                self.tick(time.monotonic())
