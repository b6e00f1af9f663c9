"""The driver process: `fabdesk-driver --config driver.toml` (or `fabdesk driver run`).

Builds the machine adapter, the session tracker (restored from the outbox), the uplink and, for
GRBL, the sender bridge from the configuration, then runs until SIGTERM/SIGINT. Logs go through
a QueueHandler to stderr (journald) or a rotating file that starts with a header.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import logging
import logging.handlers
import platform
import queue
import signal
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from uuid import UUID

import httpx

from drivers import octoprint
from drivers.badges import BadgeReader, KeyboardReader, Rdm6300Reader
from drivers.bridge import Bridge, PtyBridge, TcpBridge
from drivers.config import (
    BadgeConfig,
    DriverConfig,
    GpioInterlockConfig,
    GrblConfig,
    KeyboardReaderConfig,
    MarlinConfig,
    MeterConfig,
    OctoPrintConfig,
    config_json,
    load_config,
)
from drivers.coordinator import MachineLoop, restore_tracker, run_uplink
from drivers.errors import DriverError, MachineUnavailable, TokenRejected, UplinkError
from drivers.gate import Gate
from drivers.interlock import GpioRelay, Interlock, Relay, ShellyRelay, make_shelly_client
from drivers.link import SerialLink
from drivers.machines import GrblMachine, Machine, MarlinMachine, MeterMachine
from drivers.outbox import Clocks, Outbox, boot_id
from drivers.sessions import OpenSession, SessionTracker
from drivers.uplink import Uplink, fetch_context, make_client

log = logging.getLogger("drivers")

VERSION = "0.1.0"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Driver:
    """Everything one driver process runs; `start()` then `stop()`."""

    config: DriverConfig
    outbox: Outbox
    loop: MachineLoop
    uplink: Uplink
    bridge: Bridge | None = None
    gate: Gate | None = None
    reader: BadgeReader | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    wake: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        if self.bridge is not None:
            self.bridge.start()
        targets: list[tuple[str, Callable[[], None]]] = [
            ("machine", lambda: self.loop.run(self.stop_event)),
            ("uplink", lambda: run_uplink(self.uplink, self.stop_event, self.wake)),
        ]
        if self.gate is not None:
            gate = self.gate
            targets.append(("allow-list", lambda: gate.run_refresh(self.stop_event)))
        if self.reader is not None:
            self.reader.start()
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()
        if self.reader is not None:
            self.reader.stop()
        for thread in self.threads:
            thread.join(timeout=5)
        if self.gate is not None and self.gate.interlock is not None:
            self.gate.interlock.relay.close()
        if self.bridge is not None:
            self.bridge.stop()
        self.uplink.client.close()
        if isinstance(self.loop.machine, octoprint.OctoPrintMachine):
            self.loop.machine.client.close()
        self.outbox.close()


def build_machine(
    config: DriverConfig, clock: Callable[[], datetime]
) -> tuple[Machine, Bridge | None]:
    machine_config = config.machine
    if isinstance(machine_config, OctoPrintConfig):
        client = octoprint.make_client(
            str(machine_config.url), machine_config.api_key.get_secret_value()
        )
        return (
            octoprint.OctoPrintMachine(
                client,
                clock,
                filament_diameter_mm=machine_config.filament_diameter_mm,
                filament_density_g_cm3=machine_config.filament_density_g_cm3,
            ),
            None,
        )
    if isinstance(machine_config, GrblConfig):
        bridge: Bridge | None = None
        link = SerialLink(machine_config.port, machine_config.baudrate, clock)
        settings = machine_config.bridge
        if settings.tcp:
            host, _, port = settings.tcp.rpartition(":")
            bridge = TcpBridge(link.write, host or "127.0.0.1", int(port))
        elif settings.pty_link:
            bridge = PtyBridge(link.write, settings.pty_link)
        if bridge is not None:
            link.tap = bridge.to_sender
        grbl = GrblMachine(
            link,
            clock,
            banner_seconds=machine_config.banner_seconds,
            stall_seconds=max(3.0, 10 * machine_config.poll_seconds),
        )
        return grbl, bridge
    link = SerialLink(machine_config.port, machine_config.baudrate, clock)
    if isinstance(machine_config, MarlinConfig):
        return MarlinMachine(link, clock), None
    assert isinstance(machine_config, MeterConfig)
    return MeterMachine(link, clock), None


def build_driver(
    config: DriverConfig,
    *,
    clock: Callable[[], datetime] = utc_now,
    new_id: Callable[[], UUID] = uuid.uuid4,
) -> Driver:
    outbox = Outbox(
        config.outbox.path,
        max_events=config.outbox.max_events,
        clocks=Clocks(wall=clock, boot=boot_id()),
    )
    machine, bridge = build_machine(config, clock)
    machine_config = config.machine
    grace = getattr(machine_config, "idle_grace_seconds", 0.0)
    lost = getattr(machine_config, "lost_contact_seconds", 900.0)

    def make_tracker(session: OpenSession | None) -> SessionTracker:
        return SessionTracker(
            new_id,
            idle_grace_seconds=grace,
            progress_seconds=machine_config.progress_seconds,
            max_gap_seconds=max(2.0, 5 * machine_config.poll_seconds),
            lost_contact_seconds=lost,
            session=session,
        )

    tracker = restore_tracker(outbox, make_tracker)
    wake = threading.Event()
    loop = MachineLoop(
        machine,
        tracker,
        outbox,
        clock=clock,
        new_id=new_id,
        poll_seconds=machine_config.poll_seconds,
        heartbeat_seconds=config.server.heartbeat_seconds,
        reconnect_max_seconds=machine_config.reconnect_max_seconds,
        wake_uplink=wake,
    )
    client = make_client(
        str(config.server.url),
        config.server.token.get_secret_value(),
        config.server.timeout_seconds,
    )
    uplink = Uplink(
        client,
        outbox,
        batch_events=config.server.batch_events,
        backoff_max_seconds=config.server.backoff_max_seconds,
    )
    gate = reader = None
    if config.badge is not None:
        gate, reader = build_badges(config.badge, client, outbox, clock)
        loop.gate = gate
    return Driver(
        config=config,
        outbox=outbox,
        loop=loop,
        uplink=uplink,
        bridge=bridge,
        wake=wake,
        gate=gate,
        reader=reader,
    )


def build_interlock(config: BadgeConfig) -> Interlock | None:
    settings = config.interlock
    if settings is None:
        return None
    relay: Relay
    if isinstance(settings, GpioInterlockConfig):
        relay = GpioRelay(settings.pin, active_high=settings.active_high)
    else:
        relay = ShellyRelay(
            make_shelly_client(str(settings.url)),
            generation=settings.generation,
            channel=settings.channel,
        )
    return Interlock(relay, grace=timedelta(minutes=settings.grace_minutes))


def build_badges(
    config: BadgeConfig, client: httpx.Client, outbox: Outbox, clock: Callable[[], datetime]
) -> tuple[Gate, BadgeReader]:
    """The gate (server, allow-list, interlock) and the reader that feeds it."""
    gate = Gate(
        client,
        outbox,
        clock=clock,
        validity=timedelta(seconds=config.validity_seconds),
        walk_in=timedelta(minutes=config.offline_walk_in_minutes),
        refresh_seconds=config.allow_list_refresh_seconds,
        interlock=build_interlock(config),
        hook=config.on_decision,
    )
    settings = config.reader
    reader: BadgeReader
    if isinstance(settings, KeyboardReaderConfig):
        reader = KeyboardReader(settings.device, gate.present, repeat_seconds=config.repeat_seconds)
    else:
        reader = Rdm6300Reader(
            settings.port,
            gate.present,
            baudrate=settings.baudrate,
            badge_format=settings.format,
            repeat_seconds=config.repeat_seconds,
        )
    return gate, reader


@dataclass(frozen=True)
class CheckReport:
    machine: str
    server: str
    ok: bool


def check(config: DriverConfig, *, clock: Callable[[], datetime] = utc_now) -> CheckReport:
    """Does the machine answer, and does the server accept the token? Nothing is recorded."""
    machine, _ = build_machine(config, clock)
    ok = True
    try:
        machine.connect()
        machine.poll()
        machine_text = "answers"
    except MachineUnavailable as error:
        machine_text, ok = f"does not answer: {error}", False
    finally:
        machine.close()
    with make_client(
        str(config.server.url),
        config.server.token.get_secret_value(),
        config.server.timeout_seconds,
    ) as client:
        try:
            context = fetch_context(client)
            server_text = f"accepts the token (machine {context.equipment_tag})"
        except TokenRejected:
            server_text, ok = "refuses the device token (401)", False
        except UplinkError as error:
            server_text, ok = str(error), False
    return CheckReport(machine=machine_text, server=server_text, ok=ok)


def configure_logging(config: DriverConfig, config_path: Path) -> None:
    """A QueueHandler in front of stderr or a rotating file; the file starts with a header."""
    handler: logging.Handler
    if config.log.path is not None:
        config.log.path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            config.log.path, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
        )
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log_queue: queue.Queue[logging.LogRecord] = queue.Queue(10_000)
    listener = logging.handlers.QueueListener(log_queue, handler)
    listener.start()
    atexit.register(listener.stop)
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(log_queue)]
    root.setLevel(config.log.level)
    # httpx logs every request at INFO: one line per batch and heartbeat would bury the story.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    digest = hashlib.sha256(config_json(config)).hexdigest()[:12]
    log.info(
        "driver_start version=%s config=%s config_hash=%s python=%s platform=%s",
        VERSION,
        config_path,
        digest,
        platform.python_version(),
        platform.platform(),
    )


def run(config: DriverConfig, stop: threading.Event) -> None:
    """Run a driver until `stop` is set."""
    driver = build_driver(config)
    driver.start()
    try:
        stop.wait()
    finally:
        driver.stop()
        log.info("driver_stopped")


def main(argv: list[str] | None = None) -> None:
    """Entry point of `fabdesk-driver`."""
    parser = argparse.ArgumentParser(
        prog="fabdesk-driver", description="Log a machine's usage sessions to a fabdesk server."
    )
    parser.add_argument("--config", "-c", type=Path, required=True, help="the driver's TOML file")
    parser.add_argument(
        "--check",
        action="store_true",
        help="only test the configuration: the machine answers, the server accepts the token",
    )
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except DriverError as error:
        sys.stderr.write(f"error: {error}\n")
        sys.exit(2)
    if args.check:
        report = check(config)
        sys.stdout.write(f"machine: {report.machine}\nserver: {report.server}\n")
        sys.exit(0 if report.ok else 1)
    configure_logging(config, args.config)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run(config, stop)
