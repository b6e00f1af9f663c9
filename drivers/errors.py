"""The driver's own typed errors (the driver reaches the core only through fabdesk.wire).

DriverError                  root of every failure the driver raises on purpose
├── DriverConfigError        the driver's TOML file cannot work (missing field, bad URL)
├── MachineUnavailable       the machine does not answer: port gone, OctoPrint down, no banner
├── DriverProtocolError      the machine said something that cannot be understood
└── UplinkError              the server could not be reached or refused a batch
    └── TokenRejected        401: the device token is wrong or revoked; sending stops
"""

from __future__ import annotations


class DriverError(Exception):
    """Root of the driver's errors; `code` is a fixed key for logs and exit codes."""

    code = "driver"


class DriverConfigError(DriverError):
    code = "driver_config"


class MachineUnavailable(DriverError):
    code = "machine_unavailable"


class DriverProtocolError(DriverError):
    code = "driver_protocol"


class UplinkError(DriverError):
    code = "uplink"


class TokenRejected(UplinkError):
    code = "token_rejected"
