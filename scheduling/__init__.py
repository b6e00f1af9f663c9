"""Bookings: availability, rules, check-in and no-show, waitlist, iCal, and the scheduler's jobs."""
