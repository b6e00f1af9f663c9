"""OctoPrint's push listener without OctoPrint: what it keeps, and a websocket that never opens.

(Against the real OctoPrint it is exercised by tests/drivers/test_octoprint.py.)
"""

from __future__ import annotations

import json
import logging
import socket
import time

import httpx
import pytest

from drivers.octoprint_push import PushListener
from tests.drivers.support import utc_now


def listener(url: str = "http://127.0.0.1:9") -> PushListener:
    return PushListener(httpx.Client(base_url=url, timeout=0.5), utc_now, retry_seconds=0.05)


def test_only_print_events_are_kept_and_a_stale_login_reconnects() -> None:
    push = listener()
    done = {"name": "a.gcode", "path": "a.gcode", "origin": "local", "time": 1.5}
    push.take(json.dumps({"event": {"type": "PrintDone", "payload": done}}))
    push.take(json.dumps({"event": {"type": "ZChange", "payload": {"new": 0.2}}}))
    push.take(json.dumps({"connected": {"version": "1.11.8"}}))
    push.take("not json")
    push.take(json.dumps({"reauthRequired": {"reason": "modified"}}))
    ((_, kind, payload),) = push.drain()
    assert (kind, payload) == ("PrintDone", done)
    assert push.drain() == []
    with pytest.raises(ConnectionError):
        push.take(json.dumps({"reauthRequired": {"reason": "stale"}}))


def test_a_push_api_out_of_reach_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    push = listener(f"http://127.0.0.1:{port}")
    with caplog.at_level(logging.WARNING, logger="drivers.octoprint_push"):
        push.start()
        time.sleep(0.6)  # about ten attempts
        push.stop()
    assert not push.connected.is_set()
    lines = [r for r in caplog.records if "octoprint_push_unavailable" in r.getMessage()]
    assert len(lines) == 1
    push.start()  # a stopped listener starts again (the machine loop reconnects)
    assert push.running
    push.stop()
    push.client.close()
