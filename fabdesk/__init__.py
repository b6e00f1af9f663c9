"""fabdesk: equipment, reservations, kiosk, machine drivers and accounting for public fablabs."""

__version__ = "0.1.0"
