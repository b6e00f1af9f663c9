"""`fabdesk device …` and `fabdesk serve` as a person runs them: real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest

from fabdesk import exit_codes
from fabdesk.identifiers import make_asset_tag
from fabdesk.wire import EventKind
from tests.api.events import batch, event
from tests.support.cli import fabdesk as run_fabdesk


def environment(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FABDESK_")}
    env.update({"FABDESK_DATABASE__URL": url, "COLUMNS": "200"})
    return env


def fabdesk(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_fabdesk(*args, env={"FABDESK_DATABASE__URL": url})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(url: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from fabdesk.cli import main; main()",
            "serve",
            "--port",
            str(port),
        ],
        env=environment(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "fabdesk serve did not come up"
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=20)
        assert "Traceback" not in errors


# The commands only render what the services (tested on both databases) return: SQLite suffices.
sqlite_only = pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True)


@sqlite_only
def test_add_list_revoke_a_device(seeded_url: str, machines: list[str]) -> None:
    added = fabdesk(seeded_url, "device", "add", "--equipment", machines[0], "--name", "pi-laser")
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip()
    assert token.startswith("fdk_")
    assert "shown only now" in added.stderr
    listed = fabdesk(seeded_url, "device", "list")
    assert machines[0] in listed.stdout
    assert "pi-laser" in listed.stdout
    assert token not in listed.stdout
    assert fabdesk(seeded_url, "device", "revoke", "1").returncode == 0
    again = fabdesk(seeded_url, "device", "revoke", "1")
    assert again.returncode == exit_codes.CONFLICT
    assert "already revoked" in again.stderr


@sqlite_only
def test_adding_a_device_for_an_unknown_machine_fails_clearly(seeded_url: str) -> None:
    """Read as the register reads a tag: well formed but unknown, then not a tag at all."""
    unknown = make_asset_tag("CF1", 99_999)
    result = fabdesk(seeded_url, "device", "add", "--equipment", unknown)
    assert result.returncode == exit_codes.NOT_FOUND
    assert f"There is no item {unknown}." in result.stderr
    assert "Traceback" not in result.stderr
    result = fabdesk(seeded_url, "device", "add", "--equipment", "NOPE-1")
    assert result.returncode == exit_codes.INVALID_VALUE
    assert "Asset tag 'NOPE-1' is not of the form" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_takes_a_batch_from_a_device_added_on_the_command_line(
    seeded_url: str, machines: list[str]
) -> None:
    token = fabdesk(seeded_url, "device", "add", "--equipment", machines[0]).stdout.strip()
    with served(seeded_url) as base:
        beat = event(EventKind.HEARTBEAT, datetime.now(UTC), backlog=0)
        response = httpx.post(
            f"{base}/api/v1/ingest",
            json=batch([beat]),
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"accepted": [str(beat.id)], "duplicates": []}
