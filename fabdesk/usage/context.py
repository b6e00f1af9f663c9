"""What a device may know about its machine right now: the machine, and who is booked on it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from fabdesk.usage.devices import AuthenticatedDevice
from fabdesk.wire import MachineContext


def machine_context(
    session: Session, device: AuthenticatedDevice, *, now: datetime
) -> MachineContext:
    """The context of the device's machine at `now`.

    The booking part comes from scheduling (`scheduling.current_booking`), wired at integration;
    until then only the equipment tag is known.
    """
    del session, now  # used once the booking lookup is wired
    return MachineContext(equipment_tag=device.equipment_tag)
