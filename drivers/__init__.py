"""The machine-side agent: serial protocols, OctoPrint client, session detection, outbox, uplink."""
