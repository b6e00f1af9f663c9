"""The command line's start-up budgets: `fabdesk --help` <= 0.3 s of CPU and `fabdesk sites` (a
read command, on the seeded Cityfab network in a SQLite file) <= 0.5 s, measured side by side with
a bare `python -c pass` and with the libraries `fabdesk sites` cannot do without (SQLAlchemy,
SQLModel, pydantic, Typer, Rich) imported alone. CPU of each child process
(user + system, from `getrusage`); medians of RUNS runs, interleaved so that a busy spell of the
machine hits every command alike.

With FABDESK_BENCH_BEFORE=<folder> (a source tree of an earlier revision, e.g. from
`git archive REV | tar -x -C folder`), the same two commands of that tree run beside them."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import compile_sources

RUNS = 9
FABDESK = str(Path(sys.executable).with_name("fabdesk"))
RUN_CLI = "import sys; from fabdesk.cli import main; sys.argv[0] = 'fabdesk'; main()"
LIBRARIES = (
    "import gc; gc.disable(); import sqlmodel, sqlalchemy.dialects.sqlite, pydantic, "
    "typer.main, rich.table; gc.freeze()"
)
"""The third-party modules that `fabdesk sites` loads, imported alone with the collector off and
frozen at exit as `fabdesk.cli.main` does: the floor under it."""


def cpu_of(command: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) one run of `command` took."""
    folder = None  # the earlier tree's own folder, so that `-c` finds it first on sys.path
    if command[1:3] == ["-c", RUN_CLI]:
        folder = os.environ["FABDESK_BENCH_BEFORE"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, cwd=folder)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    compile_sources()
    folder = Path(tempfile.mkdtemp(prefix="fabdesk-bench-cli-"))
    try:
        env = {**os.environ, "FABDESK_DATABASE__URL": f"sqlite:///{folder / 'fabdesk.db'}"}
        subprocess.run([FABDESK, "seed"], env=env, check=True, stdout=subprocess.DEVNULL)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "fabdesk --help": [FABDESK, "--help"],
            "fabdesk sites": [FABDESK, "sites"],
            "its libraries": [sys.executable, "-c", LIBRARIES],
        }
        before = os.environ.get("FABDESK_BENCH_BEFORE")
        if before:
            compile_sources(Path(before))
            commands["before: --help"] = [sys.executable, "-c", RUN_CLI, "--help"]
            commands["before: sites"] = [sys.executable, "-c", RUN_CLI, "sites"]
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, command in commands.items():
                times[name].append(cpu_of(command, env))
        bare = statistics.median(times["python -c pass"])
        for name, values in times.items():
            median = statistics.median(values)
            print(f"{name:<16} CPU median {median:.3f} s  ({median / bare:.0f} times a bare start)")
        print(f"load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
