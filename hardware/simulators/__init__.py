"""Simulated machines on pseudo-terminals: a GRBL laser, a Marlin printer, a usage meter."""
