"""The driver's side of the wire: the same messages as `fabdesk.wire`, encoded with msgspec.

Why a second codec: on a Raspberry Pi the server's pydantic models cost about 20 MB of the
driver's memory (pydantic itself, then a validator per model); msgspec structs cost about 2 MB
(docs/wire.md, benchmarks/bench_drivers.py). The names, fields, limits and enums are the same
(the enums and limits are literally shared through `fabdesk.wire_base`); the server still
validates every batch with its pydantic models, and tests/drivers/test_wire_codec.py checks that
the two stay one schema: same fields, and every batch the driver encodes validates on the server.

The structs answer the few pydantic methods the driver calls (`model_dump_json`,
`model_validate_json`, `model_copy`, …), so driver code reads the same with either.
Decoding ignores fields it does not know: a newer server may add some.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Self
from uuid import UUID

import msgspec
from msgspec import Meta

from fabdesk.wire_base import (
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
    "AllowList",
    "AllowedBadge",
    "BadgeAnswer",
    "BadgeQuestion",
    "BatchAck",
    "BookedSlot",
    "Event",
    "EventKind",
    "MachineContext",
    "MachineState",
    "Message",
    "Outcome",
    "Readings",
    "Refusal",
    "WireError",
    "badge_digest",
]

WireError = msgspec.DecodeError
"""Raised by `model_validate*` for a body that is not JSON or not the message (ValidationError
is a subclass)."""

_encoder = msgspec.json.Encoder()


class Message(msgspec.Struct, frozen=True, kw_only=True):
    def model_dump_json(self) -> str:
        return _encoder.encode(self).decode()

    def model_dump(self, *, mode: str = "json") -> Any:
        """Plain JSON values (the only mode the driver uses)."""
        return msgspec.to_builtins(self)

    @classmethod
    def model_validate_json(cls, data: bytes | str) -> Self:
        return msgspec.json.decode(data, type=cls)

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        try:
            return msgspec.convert(data, type=cls)
        except msgspec.ValidationError:
            raise
        except (TypeError, ValueError) as error:
            raise msgspec.ValidationError(str(error)) from error

    def model_copy(self, *, update: dict[str, Any]) -> Self:
        return msgspec.structs.replace(self, **update)


NonNegative = Annotated[float, Meta(ge=0, le=MAX_READING)]
Aware = Annotated[datetime, Meta(tz=True)]
Short = Annotated[str, Meta(min_length=1, max_length=64)]


class Readings(Message, frozen=True, kw_only=True):
    active_seconds: NonNegative | None = None
    job_name: Annotated[str, Meta(max_length=255)] | None = None
    material_mm: NonNegative | None = None
    material_g: NonNegative | None = None
    outcome: Outcome | None = None
    state: MachineState | None = None
    detail: Annotated[str, Meta(max_length=500)] | None = None


class Event(Message, frozen=True, kw_only=True):
    id: UUID
    kind: EventKind
    session_id: UUID | None = None
    device_time: Aware
    readings: Readings = msgspec.field(default_factory=Readings)
    outbox_backlog: Annotated[int, Meta(ge=0)] | None = None
    badge: Short | None = None
    offline_decision: Short | None = None


class BatchAck(Message, frozen=True, kw_only=True):
    accepted: list[UUID]
    duplicates: list[UUID]


class MachineContext(Message, frozen=True, kw_only=True):
    equipment_tag: str
    booking_id: int | None = None
    booking_state: str | None = None
    member_number: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class Refusal(Message, frozen=True, kw_only=True):
    code: str
    message: str


class BadgeQuestion(Message, frozen=True, kw_only=True):
    badge: Short
    device_time: Aware | None = None


class BadgeAnswer(Message, frozen=True, kw_only=True):
    result: str
    maker_id: int | None = None
    booking_id: int | None = None
    ends_at: datetime | None = None
    bypass: bool = False
    message: str = ""
    language: str = "en"

    @property
    def allowed(self) -> bool:
        return self.result == ALLOW


class AllowedBadge(Message, frozen=True, kw_only=True):
    badge_hash: str
    maker_id: int
    language: str = "fr"
    expires_on: date | None = None
    lapses_on: date | None = None
    suspended_until: datetime | None = None
    manager: bool = False


class BookedSlot(Message, frozen=True, kw_only=True):
    maker_id: int
    booking_id: int
    starts_at: Aware
    ends_at: Aware


class AllowList(Message, frozen=True, kw_only=True):
    equipment_tag: str
    generated_at: Aware
    salt: str
    machine_status: str
    walk_ins: bool
    timezone: str
    badges: list[AllowedBadge] = msgspec.field(default_factory=list)
    bookings: list[BookedSlot] = msgspec.field(default_factory=list)
