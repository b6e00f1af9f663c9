"""The driver process loads none of the server's or the UI's libraries (it runs on a small Pi)."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = {"sqlmodel", "sqlalchemy", "textual", "fastapi", "apscheduler", "uvicorn", "alembic"}
HEAVY = {"pydantic", "pydantic_core", "rich", "click"}
"""Not the server's, but ~26 MB a Pi can spare: the driver speaks the wire through msgspec
(drivers/wire.py) and keeps httpx from loading its command-line tool (drivers/__init__.py)."""


def test_the_driver_daemon_imports_none_of_the_server_libraries() -> None:
    code = (
        "import sys, json\n"
        "import drivers.daemon, drivers.octoprint, drivers.bridge\n"
        "from drivers.daemon import build_driver, main\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(result.stdout))
    assert "drivers" in loaded
    assert "serial" in loaded
    assert "httpx" in loaded
    assert loaded.isdisjoint(FORBIDDEN), loaded & FORBIDDEN
    assert loaded.isdisjoint(HEAVY), loaded & HEAVY
    core = {name for name in loaded if name == "fabdesk"}
    assert core == {"fabdesk"}  # fabdesk.wire_base only: checked by import-linter, module by module
    fabdesk_modules = (
        "import sys, drivers.daemon\n"
        "print(sorted(m for m in sys.modules if m.startswith('fabdesk')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", fabdesk_modules], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "['fabdesk', 'fabdesk.wire_base']"
