"""Kiosk cold start seen from outside: the real `fabdesk kiosk` spawned in a pseudo-terminal,
timed from the spawn to the first frame that shows Welcome's prompt; and, on the same machine in
the same run, a bare Textual app drawing one line, as the floor.

`python -m benchmarks bench_kiosk_start`. Medians of 5 runs each, alternating, and the ratio.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from benchmarks.bench_kiosk import _prepare

RUNS = 5
SIZE = (80, 24)
MARKER = b"Welcome! Scan your badge"
BARE = (
    "from textual.app import App\n"
    "from textual.widgets import Static\n"
    "class Bare(App):\n"
    "    def compose(self):\n"
    "        yield Static('Welcome! Scan your badge')\n"
    "Bare().run()\n"
)


def time_to_marker(command: list[str], env: dict[str, str], timeout: float = 30.0) -> float:
    """Seconds from spawning `command` on a new pty of SIZE until MARKER is written to it."""
    master, slave = os.openpty()
    columns, lines = SIZE
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    start = time.perf_counter()
    child = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    try:
        while MARKER not in seen:
            if time.perf_counter() - start > timeout:
                raise TimeoutError(seen[-2000:].decode(errors="replace"))
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                seen += os.read(master, 65536)
        return time.perf_counter() - start
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        os.close(master)


def main() -> None:
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} (wall times grow with the load)")
    with tempfile.TemporaryDirectory(prefix="fabdesk-bench-start-") as tmp:
        url, _ = _prepare(Path(tmp))
        env = {
            "FABDESK_DATABASE__URL": url,
            "FABDESK_KIOSK__LANGUAGE": "en",
            "XDG_DATA_HOME": str(Path(tmp) / "xdg"),
            "TERM": "xterm-256color",
            "PATH": os.environ.get("PATH", ""),
        }
        fabdesk = str(Path(sys.executable).parent / "fabdesk")
        kiosk: list[float] = []
        bare: list[float] = []
        for _ in range(RUNS):
            kiosk.append(time_to_marker([fabdesk, "kiosk", "--site", "cityfab1"], env))
            bare.append(time_to_marker([sys.executable, "-c", BARE], env))
    k, b = statistics.median(kiosk), statistics.median(bare)
    print(f"kiosk cold start to Welcome   median {k * 1000:7.0f} ms  worst {max(kiosk) * 1000:.0f}")
    print(f"bare Textual app, one line    median {b * 1000:7.0f} ms  worst {max(bare) * 1000:.0f}")
    print(f"ratio kiosk / bare            {k / b:.2f}  (goal: 0.6 s, 1.8x a bare app's 0.33 s)")


if __name__ == "__main__":
    main()
