"""Wall-clock times of a site read as instants, honestly across daylight-saving changes.

A local time that does not exist (the clocks jump from 02:00 to 03:00 on the last Sunday of March
in Brussels) is refused; one that happens twice (02:00-03:00 on the last Sunday of October) is
refused unless the caller says which (`fold`). Lengths are then added in real time (UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from fabdesk.errors import InvalidValue

__all__ = ["Fold", "local_instant"]

Fold = Literal["earlier", "later"]


def local_instant(wall: datetime, timezone: str, fold: Fold | None = None) -> datetime:
    """The UTC instant of a wall-clock time of `timezone` (an aware `wall` is taken as is)."""
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    zone = ZoneInfo(timezone)
    earlier = wall.replace(tzinfo=zone, fold=0)
    later = wall.replace(tzinfo=zone, fold=1)
    shown = wall.strftime("%Y-%m-%d %H:%M")
    if earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
        raise InvalidValue(
            "{time} does not exist in {timezone}: the clocks go forward that night. "
            "Choose a time before or after the change.",
            time=shown,
            timezone=timezone,
            error_code="nonexistent_time",
        )
    if earlier.utcoffset() == later.utcoffset():
        return earlier.astimezone(UTC)
    if fold is None:
        raise InvalidValue(
            "{time} happens twice in {timezone}: the clocks go back that night. "
            "Say which with --fold earlier or --fold later.",
            time=shown,
            timezone=timezone,
            error_code="ambiguous_time",
        )
    return (earlier if fold == "earlier" else later).astimezone(UTC)
