"""The messages between a machine-side driver and the server, as the server validates them
(pydantic). The driver speaks the same messages through msgspec (drivers/wire.py: pydantic is
too heavy for a Pi); the plain parts both share live in fabdesk/wire_base.py.

A driver sends `EventBatch`es to `POST /api/v1/ingest`; the server answers `BatchAck`. Every
event carries a UUID made by the driver when the reading happened, so the server stores it once:
a repeated UUID is acknowledged and ignored. Times are the device's clock, timezone-aware; the
server keeps its own receive time beside it. See docs/wire.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from fabdesk.wire_base import (  # the plain parts, shared with the driver's codec
    ALLOW,
    MAX_BODY_BYTES,
    MAX_EVENTS_PER_BATCH,
    MAX_READING,
    WIRE_VERSION,
    EventKind,
    MachineState,
    Outcome,
    badge_digest,
)

__all__ = [
    "ALLOW",
    "MAX_BODY_BYTES",
    "MAX_EVENTS_PER_BATCH",
    "WIRE_VERSION",
    "EventKind",
    "MachineState",
    "Outcome",
    "badge_digest",
]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonNegative = Annotated[float, Field(ge=0, le=MAX_READING)]


class Readings(Message):
    """What the machine said, as far as the driver knows it at the time of the event."""

    active_seconds: NonNegative | None = None
    """Seconds the machine did work (laser on, printing) since the session started."""
    job_name: Annotated[str, Field(max_length=255)] | None = None
    material_mm: NonNegative | None = None
    """Filament length used, in millimetres."""
    material_g: NonNegative | None = None
    """Material used, in grams, when the driver knows it directly."""
    outcome: Outcome | None = None
    state: MachineState | None = None
    detail: Annotated[str, Field(max_length=500)] | None = None
    """Free text: an alarm code, a firmware error, a fault's description."""


class Event(Message):
    id: UUID
    """Made by the driver once, kept until the server acknowledges it."""
    kind: EventKind
    session_id: UUID | None = None
    """The usage session the event belongs to (required for session_* kinds)."""
    device_time: AwareDatetime
    readings: Readings = Readings()
    outbox_backlog: Annotated[int, Field(ge=0)] | None = None
    """Events waiting in the driver's outbox (heartbeats)."""
    badge: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """The badge read at the machine that started this session (session_started only): the
    session belongs to that badge's maker. See docs/attribution.md."""
    offline_decision: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """Set when the driver decided alone from its allow-list (server unreachable): "allow" or
    the refusal code. The server checks the badge again on arrival and flags a use it refuses."""


class EventBatch(Message):
    wire_version: int = WIRE_VERSION
    events: Annotated[list[Event], Field(min_length=1, max_length=MAX_EVENTS_PER_BATCH)]
    sent_at: AwareDatetime | None = None
    """The device's clock when it sent the batch (optional, added after version 1 shipped): lets
    the server measure the device's clock offset. Without it the server only corrects clocks
    that are ahead (events from the future)."""


class BatchAck(Message):
    accepted: list[UUID]
    """Events stored by this request."""
    duplicates: list[UUID]
    """Events the server already had: acknowledged and ignored."""


class MachineContext(Message):
    """Who may use the machine now, as the device asks before tagging a session."""

    equipment_tag: str
    booking_id: int | None = None
    booking_state: str | None = None
    member_number: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class Refusal(Message):
    """A 4xx answer: a fixed code for programs and a sentence for people."""

    code: str
    message: str


# --- Badges at the machine (issue 15): may this badge use this machine now? -------------------
# `POST /api/v1/badge` (BadgeQuestion -> BadgeAnswer) and `GET /api/v1/allow-list` (AllowList),
# device token as for ingest. See docs/badges.md and docs/refusals.md.


class BadgeQuestion(Message):
    badge: Annotated[str, Field(min_length=1, max_length=64)]
    device_time: AwareDatetime | None = None


class BadgeAnswer(Message):
    result: str
    """"allow", or the refusal code (docs/refusals.md)."""
    maker_id: int | None = None
    booking_id: int | None = None
    """The running booking (or the walk-in booking just made) the use belongs to."""
    ends_at: datetime | None = None
    """When that booking ends: an interlock switches the machine off then (plus its grace)."""
    bypass: bool = False
    """A manager of the machine's site: the interlock powers the machine whatever the bookings."""
    message: str = ""
    """The decision in the maker's language, for the driver's log and display."""
    language: str = "en"

    @property
    def allowed(self) -> bool:
        return self.result == ALLOW


class AllowedBadge(Message):
    badge_hash: str
    """`badge_digest(AllowList.salt, badge)`."""
    maker_id: int
    language: str = "fr"
    expires_on: date | None = None
    """The last day of the certification (None: it does not expire)."""
    lapses_on: date | None = None
    """The first day the training counts as lapsed without a new use (None: never)."""
    suspended_until: datetime | None = None
    manager: bool = False
    """A manager of the machine's site: may bypass the interlock."""


class BookedSlot(Message):
    maker_id: int
    booking_id: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class AllowList(Message):
    """Who may use the device's machine, for the driver to decide alone when the server is gone."""

    equipment_tag: str
    generated_at: AwareDatetime
    salt: str
    machine_status: str
    """The machine's cadastre status: only `in_service` allows a use."""
    walk_ins: bool
    """A certified maker may walk in on the free machine (the server makes the booking)."""
    timezone: str
    """The machine's site's zone: the driver reads the bookings' local times in it."""
    badges: list[AllowedBadge] = []
    bookings: list[BookedSlot] = []
    """The machine's live bookings of the next hours."""
