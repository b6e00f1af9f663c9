"""Benchmark scenarios (`python -m benchmarks [bench_NAME ...]`) and what they share."""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("fabdesk", "inventory", "scheduling", "kiosk", "drivers", "hardware")


def compile_sources(root: Path = ROOT) -> None:
    """Compile fabdesk's modules to bytecode first, as installing a package does: start-up
    budgets are about an installed command or kiosk, not about Python compiling its sources at
    every start, which it does where PYTHONDONTWRITEBYTECODE is set (CI, containers) and a
    module changed since its bytecode was written (`root`: a source tree, this one by default)."""
    for package in PACKAGES:
        compileall.compile_dir(root / package, quiet=1)
