"""The start-up budgets counted in instructions, which a busy machine does not change: wall and
CPU times on these shared machines move by a third within an hour, instruction counts by less
than one percent. Each command runs once under valgrind (`cachegrind`, no cache simulation:
about fifty times slower) and its count is given beside a bare start's, as a ratio:

- `python -c pass`, `fabdesk --help`, `fabdesk sites` (a read command on the seeded network),
  and the libraries `fabdesk sites` cannot do without, imported alone (bench_cli.LIBRARIES);
- a bare Textual app drawing one line, and `fabdesk kiosk`, each run until its first frame and
  closed there (Textual's headless driver; `python -m benchmarks._first_frame`).

A ratio of counts is close to a ratio of times, not equal to it (a bare start spends more of its
time in the system than in instructions). Needs valgrind: `apt-get install valgrind`.

`python -m benchmarks bench_start_instructions`; FABDESK_BENCH_BEFORE=<source tree of an earlier
revision> adds that tree's `fabdesk sites` and kiosk beside them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import ROOT, compile_sources
from benchmarks.bench_cli import LIBRARIES, RUN_CLI
from benchmarks.bench_kiosk import _prepare

FABDESK = str(Path(sys.executable).with_name("fabdesk"))
FIRST_FRAME = [sys.executable, "-m", "benchmarks._first_frame"]
VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]


def instructions(command: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
    """How many instructions one run of `command` executed (its threads included)."""
    run = subprocess.run(
        [*VALGRIND, *command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", run.stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no count for {command}: {run.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: apt-get install valgrind")
        return
    compile_sources()
    before = os.environ.get("FABDESK_BENCH_BEFORE")
    with tempfile.TemporaryDirectory(prefix="fabdesk-bench-instr-") as tmp:
        url, _badge = _prepare(Path(tmp))
        env = {
            **os.environ,
            "FABDESK_DATABASE__URL": url,
            "XDG_DATA_HOME": str(Path(tmp) / "data"),
            "XDG_CACHE_HOME": str(Path(tmp) / "cache"),
            "TEXTUAL_DRIVER": "textual.drivers.headless_driver:HeadlessDriver",
        }
        kiosk = [*FIRST_FRAME, "kiosk", "--site", "cityfab1"]
        subprocess.run(kiosk, env=env, check=True, cwd=ROOT)  # catalogues compiled once
        counts = {
            "python -c pass": instructions([sys.executable, "-c", "pass"], env),
            "fabdesk --help": instructions([FABDESK, "--help"], env),
            "fabdesk sites": instructions([FABDESK, "sites"], env),
            "its libraries": instructions([sys.executable, "-c", LIBRARIES], env),
            "bare Textual, 1st frame": instructions([*FIRST_FRAME, "bare"], env, ROOT),
            "kiosk, 1st frame": instructions(kiosk, env, ROOT),
        }
        if before:
            compile_sources(Path(before))
            tree = Path(before)
            counts["before: sites"] = instructions(
                [sys.executable, "-c", RUN_CLI, "sites"], env, tree
            )
            first_frame = (ROOT / "benchmarks" / "_first_frame.py").read_text(encoding="utf-8")
            subprocess.run(
                [sys.executable, "-c", first_frame, "kiosk", "--site", "cityfab1"],
                env=env,
                check=True,
                cwd=tree,
            )
            counts["before: kiosk"] = instructions(
                [sys.executable, "-c", first_frame, "kiosk", "--site", "cityfab1"], env, tree
            )
    bare = counts["python -c pass"]
    textual = counts["bare Textual, 1st frame"]
    for name, count in counts.items():
        ratio = count / textual if "kiosk" in name or "Textual" in name else count / bare
        floor = "a bare Textual app" if "kiosk" in name or "Textual" in name else "a bare start"
        print(f"{name:<24} {count / 1e6:8.0f} M instructions  {ratio:5.2f} times {floor}")


if __name__ == "__main__":
    main()
