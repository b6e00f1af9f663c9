"""What a device may know about its machine right now: the machine, and who is booked on it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from fabdesk.models import Maker
from fabdesk.usage.devices import AuthenticatedDevice
from fabdesk.wire import MachineContext
from scheduling.lookups import current_booking


def machine_context(
    session: Session, device: AuthenticatedDevice, *, now: datetime
) -> MachineContext:
    """The context of the device's machine at `now`: the live booking on it, if any."""
    booking = current_booking(session, device.equipment_id, now)
    if booking is None:
        return MachineContext(equipment_tag=device.equipment_tag)
    maker = session.get(Maker, booking.maker_id)
    return MachineContext(
        equipment_tag=device.equipment_tag,
        booking_id=booking.id,
        booking_state=booking.state.value,
        member_number=maker.member_number if maker is not None else None,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
    )
