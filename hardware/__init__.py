"""Simulated machines for the demo and the tests, and the Raspberry Pi install files."""
