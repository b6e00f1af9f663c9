"""Driver devices (tokens kept hashed), the events they sent, and what each machine last said."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Field, SQLModel

from fabdesk.models import equipment  # noqa: F401  (its foreign keys' tables)
from fabdesk.models._types import str_enum, utc_column
from fabdesk.wire import EventKind, MachineState, Outcome


class Device(SQLModel, table=True):
    """A driver allowed to post events for one machine. Only the SHA-256 of its token is kept."""

    __tablename__ = "devices"

    id: int | None = Field(default=None, primary_key=True)
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    name: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    """Hex SHA-256 of the bearer token; the token itself is shown once and never stored."""
    token_hint: str = Field(max_length=12)
    """The first characters of the token, so a person can tell two devices apart."""
    created_at: datetime = Field(sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IngestedEvent(SQLModel, table=True):
    """One driver event, stored once by its UUID, with the device's clock and the server's."""

    __tablename__ = "ingested_events"

    uuid: UUID = Field(primary_key=True)
    device_id: int = Field(foreign_key="devices.id")
    equipment_id: int = Field(foreign_key="equipment.id", index=True)
    kind: EventKind = Field(sa_type=str_enum(EventKind))
    session_uuid: UUID | None = Field(default=None, index=True)
    device_time: datetime = Field(sa_column=utc_column())
    """The time on the device's clock when the event happened."""
    server_time: datetime = Field(sa_column=utc_column())
    """`device_time` moved by the device's clock offset, as the server estimated it."""
    received_at: datetime = Field(sa_column=utc_column())
    active_seconds: float | None = None
    job_name: str | None = Field(default=None, max_length=255)
    material_mm: float | None = None
    material_g: float | None = None
    outcome: Outcome | None = Field(default=None, sa_type=str_enum(Outcome))
    state: MachineState | None = Field(default=None, sa_type=str_enum(MachineState))
    detail: str | None = Field(default=None, max_length=500)
    outbox_backlog: int | None = None
    badge: str | None = Field(default=None, max_length=64)
    """The badge read at the machine that started the session (session_started only)."""
    clock_corrected: bool = False
    """The device time was implausible (before the device was registered, or in the future):
    `server_time` is it moved by the batch's clock offset, `device_time` is kept as sent."""


class MachineStatus(SQLModel, table=True):
    """What the server last heard from a machine's driver: read by the kiosk board and alerts."""

    __tablename__ = "machine_status"

    equipment_id: int = Field(foreign_key="equipment.id", primary_key=True)
    device_id: int | None = Field(default=None, foreign_key="devices.id")
    last_seen_at: datetime = Field(sa_column=utc_column())
    """Server time of the last batch received from the machine's driver."""
    state: MachineState = Field(default=MachineState.UNKNOWN, sa_type=str_enum(MachineState))
    state_device_time: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    """Corrected time of the event that reported `state` (older events never overwrite it)."""
    outbox_backlog: int | None = None
    last_fault_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    last_fault_detail: str | None = Field(default=None, max_length=500)
    clock_offset_seconds: float = 0
    """Server time minus device time, as last estimated (positive: the device is behind)."""
    clock_suspect: bool = False
    """The device's clock was last found wrong (events corrected, or an offset beyond the
    tolerance): shown by `fabdesk status`."""
