"""Server commands: `fabdesk serve` and the driver devices (`fabdesk device add|list|revoke`)."""

from __future__ import annotations

import logging
import os
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from fabdesk.cli._app import app, err, out, utc_now
from fabdesk.db import session_scope, upgrade
from fabdesk.settings_file import CONFIG_ENV

device_app = typer.Typer(
    help="Driver devices: each Raspberry Pi beside a machine posts with its own token.\n\n"
    "`fabdesk device add --equipment CF1-LAS-001` prints the token once: put it in the driver's "
    "settings. `fabdesk device revoke ID` refuses it from then on.",
    no_args_is_help=True,
)
app.add_typer(device_app, name="device")


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to listen on (api.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (api.port).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (api.workers); 1 for SQLite.")
    ] = None,
) -> None:
    """Start the HTTP API (uvicorn): driver ingest, machine status, feeds, and (with one
    worker and `scheduler.enabled`) the background jobs.

    The schema is brought up to date first. With several workers (PostgreSQL), run the jobs with
    `fabdesk scheduler` beside them. Stop with Ctrl+C or SIGTERM (systemd): requests under way
    get a few seconds to finish, then the server ends (`server_stopped` in the log).
    """
    import uvicorn

    from fabdesk.api.app import create_app
    from fabdesk.cli._stopping import GRACE_SECONDS, CutShort, StopSignals, exit_when_stopped
    from fabdesk.logs import configure_logging

    settings = ctx.obj.settings()
    configure_logging(settings)
    logging.getLogger("uvicorn.error").addFilter(CutShort())
    engine = ctx.obj.engine()
    upgrade(engine)
    host = host or settings.api.host
    port = port or settings.api.port
    workers = workers or settings.api.workers
    level = settings.logging.level.lower()
    if workers > 1:
        if ctx.obj.config is not None:
            os.environ[CONFIG_ENV] = str(ctx.obj.config)
        uvicorn.run(
            "fabdesk.api.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=level,
            log_config=None,
            timeout_graceful_shutdown=GRACE_SECONDS,
        )
        return
    signals = StopSignals()

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            signals.note(sig)  # when the stop began, for `server_stopped`
            super().handle_exit(sig, frame)

    server = Server(
        uvicorn.Config(
            create_app(settings, engine),
            host=host,
            port=port,
            log_level=level,
            log_config=None,
            timeout_graceful_shutdown=GRACE_SECONDS,
        )
    )
    # uvicorn takes the signals while it serves; these are for before and after (it hands the
    # signal it caught on to them when it is done).
    signals.on_stop = lambda: setattr(server, "should_exit", True)
    signals.install()
    scheduler = None
    if settings.scheduler.enabled:
        from scheduling.jobs import SchedulerService

        scheduler = SchedulerService(settings, engine)
        scheduler.start()
    try:
        server.run()
    finally:
        signals.announce()
        if scheduler is not None:
            scheduler.shutdown(wait=False, timeout=GRACE_SECONDS)
    exit_when_stopped("server", signals, grace=1.0)  # uvicorn gave the requests their grace


@device_app.command("add")
def device_add(
    ctx: typer.Context,
    equipment: Annotated[
        str, typer.Option("--equipment", "-e", help="Asset tag of the machine the driver reads.")
    ],
    name: Annotated[
        str, typer.Option(help="A name for people, e.g. the Pi's hostname (default: the tag).")
    ] = "",
) -> None:
    """Register a driver for one machine and print its token (shown this once only)."""
    from fabdesk.usage.devices import register_device

    engine = ctx.obj.engine()
    with session_scope(engine) as session:
        registered = register_device(session, equipment_tag=equipment, name=name, now=utc_now())
    device = registered.device
    err.print(
        f"Device {device.id} registered for {registered.equipment_tag}. Its token follows; "
        "it is shown only now: put it in the driver's settings.",
        highlight=False,
    )
    out.print(registered.token, highlight=False, soft_wrap=True)


@device_app.command("list")
def device_list(
    ctx: typer.Context,
    active: Annotated[bool, typer.Option("--active", help="Leave out revoked devices.")] = False,
) -> None:
    """List the driver devices (with the first characters of their token, never the token)."""
    from fabdesk.usage.devices import list_devices

    with session_scope(ctx.obj.engine()) as session:
        listing = list_devices(session, include_revoked=not active)
    table = Table("id", "machine", "name", "token starts", "registered", "revoked", title="Devices")
    for item in listing:
        device = item.device
        table.add_row(
            str(device.id),
            item.equipment_tag,
            device.name,
            device.token_hint + "…",
            f"{device.created_at:%Y-%m-%d %H:%M}",
            f"{device.revoked_at:%Y-%m-%d %H:%M}" if device.revoked_at else "",
        )
    out.print(table)


@device_app.command("revoke")
def device_revoke(
    ctx: typer.Context,
    device_id: Annotated[int, typer.Argument(help="The device's id (see `fabdesk device list`).")],
) -> None:
    """Revoke a device: the server refuses its token from now on (401)."""
    from fabdesk.usage.devices import revoke_device

    with session_scope(ctx.obj.engine()) as session:
        revoke_device(session, device_id, now=utc_now())
    out.print(f"Device {device_id} revoked.")
