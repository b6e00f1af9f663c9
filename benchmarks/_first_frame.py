"""Start an app and close it at its first frame, for counting what a cold start costs.

`python -m benchmarks._first_frame bare`: a bare Textual app drawing one line.
`python -m benchmarks._first_frame kiosk --site cityfab1`: the real `fabdesk kiosk` command
(settings, command line, Welcome), closed when Welcome's first frame is drawn, before its
loader imports the database layer. Self-contained, so that an earlier source tree can run it
(`python -c "$(cat _first_frame.py)" kiosk ...` from that tree)."""

from __future__ import annotations

import sys


def bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("Welcome! Scan your badge")

        def on_ready(self) -> None:
            self.exit()

    Bare().run()


def kiosk(arguments: list[str]) -> None:
    from fabdesk.cli import main
    from kiosk.app import KioskApp

    KioskApp.on_ready = lambda self: self.exit()  # type: ignore[method-assign]
    sys.argv = ["fabdesk", "kiosk", *arguments]
    main()


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        bare()
    else:
        kiosk(sys.argv[2:])
