"""Co-investment (pure): a machine's revenue split across its co-investors, exact to the cent.

Shares are basis points (10000 = 100 %), as in the cadastre. The parts come from
`fabdesk.money.allocate` (largest remainder, ties to the lower investor id), so they always add up
to the amount. Shares below 10000 in total leave the rest to the lab; a machine without
co-investors keeps everything for the lab.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fabdesk.money import allocate

__all__ = ["RevenueSplit", "split_revenue"]

FULL = 10000


@dataclass(frozen=True)
class RevenueSplit:
    investors: list[tuple[int, int]]
    """`(investor id, cents)` in investor id order, zero parts included."""
    lab: int
    """What the lab keeps (everything when the machine has no co-investors)."""


def split_revenue(amount: int, shares: Sequence[tuple[int, int]]) -> RevenueSplit:
    """Split `amount` cents by `(investor id, basis points)` shares."""
    ordered = sorted(shares)
    held = sum(points for _investor, points in ordered)
    if held > FULL or any(points <= 0 for _investor, points in ordered):
        raise ValueError("shares must be positive and add up to at most 10000 basis points")
    parts = allocate(amount, [points for _investor, points in ordered] + [FULL - held])
    return RevenueSplit(
        investors=[
            (investor, part) for (investor, _points), part in zip(ordered, parts, strict=False)
        ],
        lab=parts[-1],
    )
