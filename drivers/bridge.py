"""The bridge: the maker's sender software (LightBurn, LaserGRBL, UGS) streams through the driver.

The driver owns the controller's port; the sender connects to a TCP port (`host:port`) or opens a
pseudo-terminal (a symlink the driver keeps). Bytes pass both ways untouched; the driver reads the
controller's side as it goes by, and its own `?` polls are real-time bytes that need no `ok`.
One sender at a time: a second one is turned away.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
import tty
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


class Bridge:
    """Base: `to_sender` is called with the controller's bytes; `write` forwards the sender's."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self.write = write
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._line_lost = False

    def to_sender(self, data: bytes) -> None:
        raise NotImplementedError

    def _forward(self, data: bytes) -> None:
        """Pass the sender's bytes on; a lost line is logged once, and its return once (a sender
        keeps polling `?` several times a second: one line each would fill a Pi's SD card)."""
        try:
            self.write(data)
        except Exception as error:  # the machine is gone: the sender sees silence, as on a cable
            if not self._line_lost:
                self._line_lost = True
                log.warning("bridge_line_lost reason=%s: the sender's bytes are dropped", error)
            return
        if self._line_lost:
            self._line_lost = False
            log.warning("bridge_line_back: the sender's bytes reach the controller again")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="bridge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _serve(self) -> None:
        raise NotImplementedError


class TcpBridge(Bridge):
    def __init__(self, write: Callable[[bytes], None], host: str, port: int) -> None:
        super().__init__(write)
        self._server = socket.create_server((host, port), reuse_port=False)
        self._server.settimeout(0.2)
        self.address: tuple[str, int] = self._server.getsockname()[:2]
        self._client: socket.socket | None = None
        self._lock = threading.Lock()

    def to_sender(self, data: bytes) -> None:
        with self._lock:
            client = self._client
            if client is None:
                return
            try:
                client.sendall(data)
            except OSError:
                self._client = None

    def _serve(self) -> None:
        with self._server:
            while not self._stop.is_set():
                try:
                    client, peer = self._server.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with self._lock:
                    busy = self._client is not None
                    if not busy:
                        self._client = client
                if busy:
                    log.warning("bridge_busy peer=%s: one sender at a time", peer[0])
                    client.close()
                    continue
                log.info("bridge_sender_connected peer=%s", peer[0])
                threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        client.settimeout(0.2)
        with client:
            while not self._stop.is_set():
                try:
                    data = client.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                self._forward(data)
        with self._lock:
            if self._client is client:
                self._client = None
        log.info("bridge_sender_disconnected")


class PtyBridge(Bridge):
    """A pseudo-terminal the sender opens like a serial port; `link` is a stable symlink to it."""

    def __init__(self, write: Callable[[bytes], None], link: Path) -> None:
        super().__init__(write)
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.link = link
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.ttyname(self._slave))

    def to_sender(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, data)

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if not ready:
                continue
            try:
                data = os.read(self.master, 4096)
            except OSError:
                continue
            if data:
                self._forward(data)

    def stop(self) -> None:
        super().stop()
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
