"""Logging set-up: readable console lines for people, JSON lines for services."""

from __future__ import annotations

import json
import logging
import platform
import re
import sys
from typing import TextIO

from fabdesk import __version__
from fabdesk.settings import Settings


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, event and the record's extra fields."""

    _STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in self._STANDARD})
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


SECRET_IN_TEXT = re.compile(
    r"(?P<keep>/calendars/|[?&](?:token|access_token|key)=|\bfd[km]_)[^\s/?&\"']+"
)
"""Where a secret may appear in a logged text: a calendar feed's path, a token in a query string,
a device (`fdk_`) or manager (`fdm_`) token."""


def redact(text: str) -> str:
    """`text` with every secret token replaced by `***`."""
    return SECRET_IN_TEXT.sub(lambda match: match["keep"] + "***", text)


class RedactSecrets(logging.Filter):
    """Replaces tokens in a record's message and arguments (uvicorn's access log and httpx's
    request log put the path there) before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):  # httpx logs URL objects: they are redacted as text
            record.args = tuple(
                a if isinstance(a, int | float) else redact(str(a)) for a in record.args
            )
        return True


class DropOutageRepeats(logging.Filter):
    """Drops records carrying the traceback of a database that cannot be reached (APScheduler's
    job store, the leader's lock…): the engine's DatabaseWatch logs the loss once instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None:
            return True
        # Imported here, only for a record with a traceback: the kiosk's first log line comes
        # before its first frame, which must not wait for SQLAlchemy.
        from fabdesk.db import is_connection_failure

        return not is_connection_failure(error)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Route every logger (uvicorn's included) to stderr, in the configured format and at the
    configured level, secrets redacted, with a header line."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactSecrets())
    handler.addFilter(DropOutageRepeats())
    handler.setFormatter(
        JsonLines()
        if settings.logging.json_lines
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.logging.level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # theirs go through ours
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger(__name__).info(
        "fabdesk_start",
        extra={
            "version": __version__,
            "settings_hash": settings.fingerprint(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    )
