"""Run `fabdesk` as a person does: a real process, with a clean FABDESK_* environment."""

from __future__ import annotations

import os
import subprocess
import sys


def fabdesk(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FABDESK_")}
    environment.update(env or {})
    environment["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-c", "from fabdesk.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
    )
