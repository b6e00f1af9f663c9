"""Reusable widgets of the kiosk: they get attributes from their screen and post messages up."""
