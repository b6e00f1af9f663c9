"""Private files: the database and its WAL, backups and exports are readable by their owner only
(0600, in 0700 folders that fabdesk creates), whatever the process's umask."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_folder(path: Path) -> Path:
    """`path` and its missing parents created 0700 (existing folders are left as they are)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True)
        os.chmod(folder, PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """`path` created empty if missing, and made 0600, in a private folder."""
    private_folder(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    os.chmod(path, PRIVATE_FILE)
    return path


def write_private(path: Path, data: str) -> Path:
    """Write `data` (UTF-8) to `path`, which nobody but its owner may read, even for a moment."""
    private_file(path)
    path.write_text(data, encoding="utf-8")
    return path


def make_private(*paths: Path) -> None:
    """Make the existing files among `paths` 0600 (files another program created)."""
    for path in paths:
        if path.exists():
            os.chmod(path, PRIVATE_FILE)
