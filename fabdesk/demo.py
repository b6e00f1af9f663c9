"""`fabdesk demo`: the whole lab on one machine.

A fresh SQLite database with the Cityfab network; the server (uvicorn, on a free port of
127.0.0.1) with the scheduler; three simulated machines at Cityfab1 (a GRBL laser, a Marlin
printer, a usage meter on the vinyl cutter) on pseudo-terminals, each read by a real driver that
posts to the server; a stagehand that starts jobs on them now and then; and the kiosk in front.
Demo makers are booked on those machines now, so their jobs check the bookings in and their
charges land on a maker cheque. Everything stops cleanly on Ctrl+Q / Ctrl+C.
"""

from __future__ import annotations

import logging
import random
import shutil
import socket
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from drivers.config import (
    DriverConfig,
    GrblConfig,
    MarlinConfig,
    MeterConfig,
    OutboxConfig,
    Secret,
    ServerConfig,
)
from drivers.daemon import Driver, build_driver
from fabdesk.db import Engine, make_engine, session_scope, upgrade, write_session
from fabdesk.errors import RuleViolation
from fabdesk.models import (
    Equipment,
    Maker,
    OpeningHours,
    Site,
    UsageCharge,
    UsageSession,
    id_of,
)
from fabdesk.settings import Settings, load_settings
from hardware.simulators.base import Simulator
from hardware.simulators.grbl_laser import GrblLaser
from hardware.simulators.marlin_printer import MarlinPrinter
from hardware.simulators.usage_meter import UsageMeter

log = logging.getLogger(__name__)

LASER, PRINTER, VINYL = "CF1-00001-R", "CF1-00004-L", "CF1-00013-M"
"""The Cityfab1 machines the demo simulates."""

DEMO_MAKERS = [
    # badge, member number, name, language, certified categories
    ("DEMO-ANA", "D0001", "Ana Peeters", "fr", ("laser", "fdm", "vinyl")),
    ("DEMO-JAN", "D0002", "Jan Claes", "nl", ("fdm",)),
    ("DEMO-EMMA", "D0003", "Emma Martin", "en", ()),
]
"""Makers to try at the kiosk: Ana is trained and holds a cheque, Jan only on printers, Emma on
nothing (every booking is refused with the reason)."""

MANAGER_BADGE, MANAGER_PIN = "DEMO-BOSS", "1234"

LASER_JOB = (
    "G21 G90\nM4 S600\n"
    + "".join(f"G1 X{x} Y{y} F2400\n" for x, y in [(30, 0), (30, 30), (0, 30), (0, 0)] * 2)
    + "M5\nG0 X0 Y0\n"
)
"""A 30 mm square cut twice: about 6 seconds of laser-on time at F2400."""


@dataclass(frozen=True)
class DemoSetup:
    settings: Settings
    engine: Engine
    folder: Path
    tokens: dict[str, str]
    """Device token of each simulated machine, by asset tag."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(folder: Path, now: datetime) -> DemoSetup:
    """A fresh demo database in `folder`: the network, demo makers, bookings now, devices."""
    from inventory.seed import seed

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    settings = load_settings(
        overrides={
            "database": {"url": f"sqlite:///{folder / 'fabdesk.db'}"},
            "api": {"port": _free_port()},
            "kiosk": {"site": "cityfab1"},
        }
    )
    settings = settings.model_copy(
        update={"api": settings.api.model_copy(update={"public_url": _url(settings)})}
    )
    engine = make_engine(settings.database)
    upgrade(engine)
    with session_scope(engine) as session:
        seed(session, today=now.date())
    with write_session(engine) as session:
        tokens = _seed_demo(session, settings, now)
    return DemoSetup(settings=settings, engine=engine, folder=folder, tokens=tokens)


def _url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.api.port}"


def _seed_demo(session: Session, settings: Settings, now: datetime) -> dict[str, str]:
    from fabdesk.accounting.cheques import add_programme, issue_cheque
    from fabdesk.usage.devices import register_device
    from inventory.makers import NewMaker, certify, register_maker
    from inventory.managers import set_pin
    from scheduling.bookings import book

    today = now.date()
    zone = ZoneInfo(settings.scheduler.timezone)
    makers: dict[str, Maker] = {}
    for badge, number, name, language, trained in DEMO_MAKERS:
        maker = register_maker(
            session,
            NewMaker(number, name, f"{number.lower()}@example.org", language, badge),
        )
        for category in trained:
            certify(session, maker, category, granted_on=today - timedelta(days=30))
        makers[badge] = maker
    boss = register_maker(session, NewMaker("D0009", "Lab manager", "", "fr", MANAGER_BADGE))
    set_pin(session, boss, MANAGER_PIN)
    add_programme(
        session,
        code="DEMO-CHQ",
        name="Chèques-makers (demo)",
        funder_code="REGION",
        face_value_cents=5000,
        copay_basis_points=2000,
        valid_from=today - timedelta(days=30),
        valid_until=today + timedelta(days=365),
    )
    issue_cheque(
        session,
        programme_code="DEMO-CHQ",
        maker_id=id_of(makers["DEMO-ANA"]),
        today=today,
        now=now,
        zone=zone,
    )
    # The demo's Cityfab1 is open around the clock, so the demo works at any hour. Ana has the
    # three simulated machines booked from the next minute on, and never checks in at the kiosk:
    # her first job checks each booking in, and every job is charged to her (and her cheque).
    site = session.exec(select(Site).where(Site.code == "cityfab1")).one()
    for hours in session.exec(select(OpeningHours).where(OpeningHours.site_id == site.id)):
        session.delete(hours)
    session.flush()
    for weekday in range(7):
        session.add(
            OpeningHours(site_id=id_of(site), weekday=weekday, opens=time(0), closes=time(23, 59))
        )
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    local_midnight = datetime.combine(
        start.astimezone(ZoneInfo(site.timezone)).date(), time(23, 59), ZoneInfo(site.timezone)
    )
    end = min(start + timedelta(hours=2), local_midnight)
    tokens: dict[str, str] = {}
    for tag in (LASER, PRINTER, VINYL):
        item = session.exec(select(Equipment).where(Equipment.asset_tag == tag)).one()
        item.bookable, item.rate_cents_per_hour = True, item.rate_cents_per_hour or 1200
        session.add(item)
        session.flush()
        try:
            book(
                session,
                maker_id=id_of(makers["DEMO-ANA"]),
                equipment_id=id_of(item),
                starts_at=start,
                ends_at=end,
                now=now,
                settings=settings.scheduler,
            )
        except RuleViolation:  # the lab is closed now: the demo runs without bookings
            log.info("demo_booking_skipped", extra={"machine": tag})
        tokens[tag] = register_device(session, equipment_tag=tag, name=f"demo-{tag}", now=now).token
    return tokens


@dataclass
class DemoLab:
    """The running pieces; `start()` then `stop()` (also a context manager)."""

    setup: DemoSetup
    stagehand_seconds: float = 20.0
    simulators: dict[str, Simulator] = field(default_factory=dict)
    drivers: list[Driver] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _stack: ExitStack = field(default_factory=ExitStack)

    def start(self) -> None:
        self._start_server()
        links = self.setup.folder / "dev"
        links.mkdir(exist_ok=True)
        self.simulators = {
            LASER: GrblLaser(links / "laser", speed=1.0).start(),
            PRINTER: MarlinPrinter(
                links / "printer", files={"bracket.gcode": 15_000}, bytes_per_second=1000
            ).start(),
            VINYL: UsageMeter(links / "vinyl", name="vinyl-meter").start(),
        }
        url = _url(self.setup.settings)
        for tag, sim in self.simulators.items():
            machine: GrblConfig | MarlinConfig | MeterConfig
            if isinstance(sim, GrblLaser):
                machine = GrblConfig(port=sim.port, idle_grace_seconds=2, progress_seconds=10)
            elif isinstance(sim, MarlinPrinter):
                machine = MarlinConfig(port=sim.port, poll_seconds=1, progress_seconds=10)
            else:
                machine = MeterConfig(port=sim.port, progress_seconds=10)
            config = DriverConfig(
                server=ServerConfig(
                    url=url, token=Secret(self.setup.tokens[tag]), heartbeat_seconds=5
                ),
                machine=machine,
                outbox=OutboxConfig(path=self.setup.folder / f"outbox-{tag}.db"),
            )
            driver = build_driver(config)
            driver.start()
            self.drivers.append(driver)
        self._spawn("stagehand", self._stagehand)

    def _start_server(self) -> None:
        from fabdesk.api.app import create_app
        from fabdesk.api.serving import serve_in_thread
        from scheduling.jobs import SchedulerService

        settings = self.setup.settings
        app = create_app(settings, self.setup.engine)
        self._stack.enter_context(serve_in_thread(app, port=settings.api.port))
        scheduler = SchedulerService(settings, self.setup.engine)
        scheduler.start()
        self._stack.callback(scheduler.shutdown)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=f"demo-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _stagehand(self) -> None:
        """Starts a job on one of the simulated machines now and then."""
        rng = random.Random(2018)
        while not self._stop.wait(rng.uniform(0.5, 1.5) * self.stagehand_seconds):
            self.run_job(rng.choice([LASER, PRINTER, VINYL]), seconds=rng.uniform(10, 30))

    def run_job(self, tag: str, seconds: float = 15.0) -> None:
        sim = self.simulators[tag]
        if isinstance(sim, GrblLaser):
            sim.stream(LASER_JOB)
        elif isinstance(sim, MarlinPrinter):
            if not sim.printing:
                sim.start_print("bracket.gcode")
        elif isinstance(sim, UsageMeter) and not sim.on:
            sim.switch_on(watts=350)
            timer = threading.Timer(seconds, sim.switch_off)
            timer.daemon = True
            timer.start()

    def stop(self) -> None:
        self._stop.set()
        for driver in self.drivers:
            driver.stop()
        for sim in self.simulators.values():
            sim.stop()
        self._stack.close()
        for thread in self._threads:
            thread.join(timeout=10)
        self.setup.engine.dispose()

    def __enter__(self) -> DemoLab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class DemoSummary:
    usage_sessions: int
    finished_sessions: int
    charged_sessions: int
    ana_cheque_left_cents: int


def summary(engine: Engine, today: date) -> DemoSummary:
    """What the demo's machines did so far, as the database has it."""
    from fabdesk.accounting.cheques import cheques_of

    with session_scope(engine) as session:
        sessions = session.exec(select(UsageSession)).all()
        charged = session.exec(select(col(UsageCharge.usage_session_id)).distinct()).all()
        ana = session.exec(select(Maker).where(Maker.badge_id == "DEMO-ANA")).one()
        left = sum(view.remaining_cents for view in cheques_of(session, id_of(ana), today))
    return DemoSummary(
        usage_sessions=len(sessions),
        finished_sessions=sum(1 for s in sessions if s.finished),
        charged_sessions=len(charged),
        ana_cheque_left_cents=left,
    )


def configure_demo_logging(folder: Path) -> Path:
    """Logs of every piece go to `folder/demo.log`, so the kiosk's screen stays clean."""
    path = folder / "demo.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    return path


def now_utc() -> datetime:
    return datetime.now(UTC)
