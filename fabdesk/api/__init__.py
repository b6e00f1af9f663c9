"""The HTTP API: ingest from drivers, heartbeats, feeds, exports and reports."""
