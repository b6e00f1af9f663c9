"""The one definition of a booking policy's fields: the settings' defaults (`scheduler.booking`)
and the per-machine or per-category rows (`booking_policies`) are both `BookingRules`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BookingRules"]


class BookingRules(BaseModel):
    """Booking rules of a machine: its own row, else its category's, else the settings'.

    A plain pydantic model, so that the settings load without SQLModel and SQLAlchemy (the
    kiosk's and the commands' start); the table `booking_policies` takes its columns from it."""

    model_config = ConfigDict(extra="forbid")

    buffer_minutes: int = Field(default=0, ge=0)
    """Time held after each booking (cooling, cleaning)."""
    min_minutes: int = Field(default=15, ge=1)
    """Shortest booking."""
    max_minutes: int = Field(default=240, ge=1)
    """Longest booking."""
    max_days_ahead: int = Field(default=28, ge=0)
    """How far ahead one may book, in days."""
    check_in_before_minutes: int = Field(default=15, ge=0)
    """Check-in opens this long before the start."""
    check_in_after_minutes: int = Field(default=15, ge=0)
    """Grace period after the start: without a check-in by then, the booking is a no-show."""
    cancel_cutoff_minutes: int = Field(default=120, ge=0)
    """Cancelling later than this before the start is a late cancellation."""
    max_hours_per_week: int = Field(default=12, ge=0)
    """Booked hours per maker, ISO week and category (0 = no limit)."""
    max_future_bookings: int = Field(default=5, ge=0)
    """Live bookings still to come per maker and category (0 = no limit)."""
