"""The machine-side agent: serial protocols, OctoPrint client, session detection, outbox, uplink.

One thing happens at import: httpx is kept from loading its command-line tool. httpx imports
`httpx._main` when click and rich are installed (they are, for the fabdesk CLI) and quietly goes
without it when that import fails; the driver needs no httpx CLI, and skipping it saves ~6 MB of
memory on a Pi. Nothing changes if httpx was already imported.
"""

import sys

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
