"""`fabdesk …`: every command parses its arguments, calls a service, and renders the result.

Errors that fabdesk raises on purpose are printed as one line on stderr (the same sentence the
kiosk and the API give, days and times in the local form), with an exit code from
fabdesk.exit_codes; anything else is a bug and shows its traceback. Each area keeps its commands in
its own module here; importing one registers its commands on `app`, and `fabdesk.cli._lazy`
imports only the module a command needs (`fabdesk --help` imports none).
"""

from __future__ import annotations

import gc
import os
import sys

from fabdesk import exit_codes
from fabdesk.cli._app import app, err
from fabdesk.errors import FabdeskError, database_error

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the `fabdesk` console script. A database that is down or locked is one
    sentence and exit code 4 (unreachable) or 13 (busy), never a traceback.

    The garbage collector stays off while the command's modules load (a start creates several
    hundred thousand objects and no cycle worth collecting: about a tenth of the CPU of `fabdesk
    sites`); `_root` turns it on again, with what was loaded frozen out of its sweeps, before the
    command itself runs, however long (`serve`, `kiosk`). fabdesk uses no pydantic plugin:
    looking for them reads the metadata of every installed package (5 % of `fabdesk sites`)."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.disable()
    try:
        app()
    except FabdeskError as error:
        _refuse(error)
    except Exception as exc:  # the CLI's boundary: a database failure, or a bug (re-raised)
        # Only a command that loaded SQLAlchemy can fail in it (`--help` never imports it).
        operational = getattr(sys.modules.get("sqlalchemy.exc"), "OperationalError", None)
        if operational is None or not isinstance(exc, operational):
            raise
        _refuse(database_error(exc))
    finally:
        # The command is over (its connections closed by Context.close): let the interpreter's
        # last garbage collections at exit skip what it loaded, rather than trace every object of
        # SQLAlchemy, pydantic and the models once more to free memory the process gives back
        # anyway. About a fifth of the CPU of `fabdesk sites` (docs/startup.md). atexit
        # handlers (logs, temporary files) still run.
        gc.freeze()
        gc.enable()


def _refuse(error: FabdeskError) -> None:
    err.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    sys.exit(exit_codes.for_error(error))
