"""How `fabdesk serve` and `fabdesk scheduler` stop: within seconds of SIGINT or SIGTERM, logged.

Both used to outlive a Ctrl-C by half a minute and more under load: uvicorn waited without end
for requests still running (a request waiting on a locked database holds its worker thread), the
scheduler waited for its jobs (`shutdown(wait=True)`) and then Python joined their threads at
exit; a KeyboardInterrupt cannot land while the main thread is inside the database driver's C
code, and SIGTERM (systemd's stop) killed the scheduler without a word. Now the main thread only
waits for the signal, the work runs in other threads, and what is still running after the grace
period is left behind: its transaction is rolled back when the process ends (a job's slot stays
free for the next run, a driver resends an unacknowledged batch).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

log = logging.getLogger(__name__)

GRACE_SECONDS = 3
"""How long requests and jobs under way get to finish once a stop is asked."""


class StopSignals:
    """SIGINT and SIGTERM set `requested` and call `on_stop`; nothing else runs in the handler
    (it may interrupt the main thread anywhere, a log write included)."""

    def __init__(self, on_stop: Callable[[], None] = lambda: None) -> None:
        self.on_stop = on_stop
        self.requested = threading.Event()
        self.signal: str | None = None
        self.since: float | None = None

    def install(self) -> StopSignals:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self._handle)
        return self

    def _handle(self, number: int, frame: FrameType | None) -> None:
        self.note(number)
        self.on_stop()

    def note(self, number: int) -> None:
        """A stop signal came (to this handler, or to uvicorn's while it serves)."""
        if self.signal is None:
            self.signal, self.since = signal.Signals(number).name, time.monotonic()
        self.requested.set()

    def wait(self) -> None:
        """Sleep until a signal comes (the main thread stays free to take it)."""
        while not self.requested.wait(1.0):
            pass

    def announce(self) -> None:
        log.info("stop_requested", extra={"signal": self.signal})


class CutShort(logging.Filter):
    """uvicorn logs a request it cancels at the end of the grace period as an error in the
    application, with a traceback; it is a request the stop cut short: one line says so."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            record.msg, record.args = "request_cut_short", ()
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def exit_when_stopped(name: str, signals: StopSignals, grace: float) -> None:
    """Give the threads still running (a request, a job) `grace` seconds; if some still run
    then, end the process without them. Logged either way (`<name>_stopped`)."""
    deadline = time.monotonic() + grace
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    left = [t.name for t in threading.enumerate() if t is not current and not t.daemon]
    took = round(time.monotonic() - (signals.since or time.monotonic()), 1)
    if not left:
        log.info(f"{name}_stopped", extra={"seconds": took})
        return
    log.warning(f"{name}_stopped", extra={"seconds": took, "abandoned": left})
    logging.shutdown()
    # Python would join the threads left behind at exit (and the thread pools' workers through
    # their exit hooks) for as long as they run: that wait is what this function bounds.
    os._exit(0)
