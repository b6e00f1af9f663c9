"""Kiosk cold start seen from outside: the real `fabdesk kiosk` spawned in a pseudo-terminal, timed
from the spawn to the first frame that shows Welcome's prompt, then to the lab at a glance filled
in (the services loaded after that frame); in other runs, a badge typed as soon as the prompt shows,
timed to the board. On the same machine in the same run, a bare Textual app drawing one line, as
the floor.

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

from benchmarks import compile_sources
from benchmarks.bench_kiosk import _prepare

RUNS = 5
SIZE = (80, 24)
PROMPT = b"Welcome! Scan your badge"
GLANCE = b"In service"
"""A machine's status in the lab at a glance (English)."""
BOARD = b"Hello "
"""The board's greeting of the maker."""
BARE = (
    "from textual.app import App\n"
    "from textual.widgets import Static\n"
    "class Bare(App):\n"
    "    def compose(self):\n"
    "        yield Static('Welcome! Scan your badge')\n"
    "Bare().run()\n"
)


def times_to(
    command: list[str], env: dict[str, str], markers: list[bytes], typed: bytes = b""
) -> tuple[list[float], float]:
    """Seconds from spawning `command` on a new pty of SIZE until each of `markers` is written to
    it, in order, and the CPU seconds the process used until then (killed at once, so a few ms
    more at most); `typed` is typed on the terminal as soon as the first marker shows."""
    master, slave = os.openpty()
    columns, lines = SIZE
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    start = time.perf_counter()
    child = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    found: list[float] = []
    try:
        while len(found) < len(markers):
            if time.perf_counter() - start > 30:
                raise TimeoutError(seen[-2000:].decode(errors="replace"))
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                seen += os.read(master, 65536)
            while len(found) < len(markers) and markers[len(found)] in seen:
                found.append(time.perf_counter() - start)
                seen = seen[seen.index(markers[len(found) - 1]) :]
                if len(found) == 1 and typed:
                    os.write(master, typed)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        _, _, usage = os.wait4(child.pid, 0)
        child.returncode = -signal.SIGKILL
        os.close(master)
    return found, usage.ru_utime + usage.ru_stime


def _median_ms(runs: list[float]) -> str:
    return f"median {statistics.median(runs) * 1000:7.0f} ms  worst {max(runs) * 1000:.0f}"


def main() -> None:
    compile_sources()
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} (wall times grow with the load)")
    with tempfile.TemporaryDirectory(prefix="fabdesk-bench-start-") as tmp:
        url, badge = _prepare(Path(tmp))
        env = {
            "FABDESK_DATABASE__URL": url,
            "FABDESK_KIOSK__LANGUAGE": "en",
            "XDG_DATA_HOME": str(Path(tmp) / "xdg"),
            "XDG_CACHE_HOME": str(Path(tmp) / "cache"),
            "TERM": "xterm-256color",
            "PATH": os.environ.get("PATH", ""),
        }
        kiosk = [str(Path(sys.executable).parent / "fabdesk"), "kiosk", "--site", "cityfab1"]
        first: list[float] = []
        first_cpu: list[float] = []
        glance: list[float] = []
        board: list[float] = []
        bare: list[float] = []
        bare_cpu: list[float] = []
        times_to(kiosk, env, [PROMPT])  # a kiosk that started once before: catalogues compiled
        for _ in range(RUNS):
            (shown,), cpu = times_to(kiosk, env, [PROMPT])
            first.append(shown)
            first_cpu.append(cpu)
            glance.append(times_to(kiosk, env, [PROMPT, GLANCE])[0][1])
            board.append(times_to(kiosk, env, [PROMPT, BOARD], badge.encode() + b"\r")[0][1])
            (shown,), cpu = times_to([sys.executable, "-c", BARE], env, [PROMPT])
            bare.append(shown)
            bare_cpu.append(cpu)
    k, b = statistics.median(first), statistics.median(bare)
    kc, bc = statistics.median(first_cpu), statistics.median(bare_cpu)
    print(f"kiosk cold start to Welcome        {_median_ms(first)}  cpu {kc * 1000:.0f} ms")
    print(f"... with the lab at a glance       {_median_ms(glance)}")
    print(f"... a badge typed at once, board   {_median_ms(board)}")
    print(f"bare Textual app, one line         {_median_ms(bare)}  cpu {bc * 1000:.0f} ms")
    print(f"ratio kiosk / bare                 {k / b:.2f} wall, {kc / bc:.2f} cpu  (goal: 0.6 s)")


if __name__ == "__main__":
    main()
