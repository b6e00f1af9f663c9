"""Usage from the machines: driver devices and their tokens, event ingest, usage sessions, status.

A service layer (no HTTP here): the API and the CLI call it with a session and plain values.
"""
