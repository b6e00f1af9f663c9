"""A simulated RDM6300 badge reader (125 kHz) on a pseudo-terminal: `present(card)` sends the
card's frame a few times, as the module does while a card lies on it.

Run it alone: `python -m hardware.simulators.badge_reader --link /tmp/ttyBADGE`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from drivers.badges import rdm6300_frame
from hardware.simulators.base import Simulator


class BadgeReader(Simulator):
    def receive(self, data: bytes) -> None:
        """The RDM6300 only talks: what the host writes is ignored."""

    def present(self, card: str, *, repeats: int = 3) -> None:
        """A card of 10 hex digits (version + 4 bytes) held on the reader."""
        frame = rdm6300_frame(bytes.fromhex(card))
        for _ in range(repeats):
            self.send_bytes(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description="A simulated RDM6300 badge reader on a pty.")
    parser.add_argument("--link", type=Path, required=True)
    parser.add_argument("--card", default="0A1B2C3D4E", help="the card presented every 10 s")
    args = parser.parse_args()
    with BadgeReader(args.link) as reader:
        while True:
            reader.present(args.card)
            time.sleep(10)


if __name__ == "__main__":
    main()
