"""Logging set-up: readable console lines for people, JSON lines for services."""

from __future__ import annotations

import json
import logging
import platform
import sys

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


def configure_logging(settings: Settings) -> None:
    """Route every fabdesk logger to stderr, in the configured format, with a header line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLines()
        if settings.logging.json_lines
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.logging.level)
    logging.getLogger(__name__).info(
        "fabdesk_start",
        extra={
            "version": __version__,
            "settings_hash": settings.fingerprint(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    )
