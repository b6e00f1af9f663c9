"""The CLI's exit codes, one per error family, so scripts can tell failures apart."""

from __future__ import annotations

from fabdesk import errors

OK = 0
FAILURE = 1
USAGE = 2
CONFIG = 3
DATABASE_UNAVAILABLE = 4
NOT_FOUND = 5
CONFLICT = 6
INVALID_VALUE = 7
RULE_VIOLATION = 8
IMPORT_REJECTED = 9
LEDGER_IMBALANCE = 10
DRIVER = 11
ACCESS_DENIED = 12
"""Unknown credentials, or a manager acting outside their scope (another site, their own case)."""
DATABASE_BUSY = 13
"""The database stayed locked by another writer for longer than `database.busy_timeout_ms`."""

_BY_ERROR: dict[type[errors.FabdeskError], int] = {
    errors.ConfigError: CONFIG,
    errors.DatabaseUnavailable: DATABASE_UNAVAILABLE,
    errors.NotFound: NOT_FOUND,
    errors.Conflict: CONFLICT,
    errors.InvalidValue: INVALID_VALUE,
    errors.RuleViolation: RULE_VIOLATION,
    errors.ImportRejected: IMPORT_REJECTED,
    errors.LedgerImbalance: LEDGER_IMBALANCE,
    errors.DriverProtocolError: DRIVER,
    errors.UplinkError: DRIVER,
    errors.Unauthenticated: ACCESS_DENIED,
    errors.AccessDenied: ACCESS_DENIED,
    errors.DatabaseBusy: DATABASE_BUSY,
}


def for_error(error: errors.FabdeskError) -> int:
    """The exit code of an error: that of its nearest listed class, else FAILURE."""
    for cls in type(error).__mro__:
        if cls in _BY_ERROR:
            return _BY_ERROR[cls]
    return FAILURE
