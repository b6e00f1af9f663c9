"""The kiosk application: settings and a way to connect in, screens on top, nothing of the database
inside.

Who is at the terminal (a maker, or a manager) and in which language lives here; every screen
calls services in thread workers, and the one handler of failed workers (`worker_changed`) turns a
`FabdeskError` into a translated sentence on the screen, and anything else into a logged "something
went wrong" screen. No traceback is ever shown to a person.

Start order: Welcome is drawn first, in the kiosk's language alone; only then does the loader
(`load_services`) load the settings (pydantic), import the database layer and the services, make
the engine and read the site's machines (wrong settings or a site that does not exist close the
kiosk: `refusal`). Every worker takes the settings and the engine from `KioskApp.settings` and
`KioskApp.engine`, which wait for the loader: a badge scanned before it is done is answered when it
is, never lost. Modules of the kiosk import pydantic, the database layer and the services inside
their workers (or lazily), not at the top, so that the first frame waits for none of them
(`tests/kiosk/test_start.py` checks it; docs/kiosk-layout.md, "Start-up time").
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from zoneinfo import ZoneInfo

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from fabdesk.errors import DatabaseUnavailable, FabdeskError, RuleViolation
from kiosk.i18n import LANGUAGES, Translator, translator
from kiosk.messages import MachinesListed, Person
from kiosk.screens.base import KioskScreen
from kiosk.screens.oops import OopsScreen, UnavailableScreen
from kiosk.screens.welcome import WelcomeScreen

if TYPE_CHECKING:
    from fabdesk.db import Engine
    from fabdesk.settings import Settings

log = logging.getLogger(__name__)

IDLE_CHECK_SECONDS = 0.5


def idle_warning(idle_seconds: int) -> float:
    """How long before the idle time-out the person is warned: 10 s, or a third of short ones."""
    return min(10.0, idle_seconds / 3)


def utc_now() -> datetime:
    return datetime.now(UTC)


class KioskApp(App[None]):
    """fabdesk at a lab's terminal.

    `settings` gives the settings and `connect` makes the database engine: the loader calls them
    once Welcome is drawn, in `language` (the settings' `kiosk.language`, which the command peeks
    at without loading them). The command passes its context's settings and `make_engine` of
    them, tests and the demo their own. `site` overrides `kiosk.site`. `clock` gives the
    wall-clock time (aware) and `monotonic` the idle timer's seconds: both are parameters so tests
    and the demo can drive them.
    """

    TITLE = "fabdesk"
    CSS_PATH = Path(__file__).parent / "kiosk.tcss"
    """Absolute, so that subclasses defined elsewhere (benchmarks, the demo) find it."""
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "quit", show=False, priority=True),
        Binding("ctrl+c", "nothing", show=False, priority=True),
    ]

    language: reactive[str] = reactive("fr", init=False)

    def __init__(
        self,
        *,
        settings: Callable[[], Settings],
        connect: Callable[[], Engine],
        language: str,
        site: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.load_settings = settings
        self.connect = connect
        self.drawn = threading.Event()
        """Set once the first frame is on the terminal: the loader starts then."""
        self.loaded: Future[tuple[Settings, Engine]] = Future()
        """The settings and the engine once the loader has them, or why it could not."""
        self.home_language = language
        """The kiosk's own language (`kiosk.language`): Welcome's, for each next person."""
        self.refusal: FabdeskError | None = None
        """Why the kiosk closed by itself (the loader found its site or database settings wrong):
        the command says it in one line."""
        self.site = site or ""
        """The site's code: `site`, else `kiosk.site` once the settings are loaded."""
        self.clock = clock
        self.monotonic = monotonic
        self.maker: Person | None = None
        self.timezone = ""
        """The site's timezone: the network's (settings) until the board reads the site's."""
        self.manager: Person | None = None
        self.incidents: list[BaseException] = []
        """Unexpected errors met since start (logged, shown as "something went wrong")."""
        self.last_activity = monotonic()
        self.warned = False
        """The person was told the kiosk is about to forget them (cleared by any key)."""
        self.pending_cancels: dict[int, Timer] = {}
        """Bookings the maker cancelled, waiting out the undo time (booking id -> its timer)."""
        self.set_reactive(KioskApp.language, language)

    @classmethod
    def of(cls, settings: Settings, **options: Any) -> Self:
        """A kiosk on settings already loaded (the demo, tests, benchmarks)."""
        site = options.pop("site", None) or settings.kiosk.site
        return cls(
            settings=lambda: settings, language=settings.kiosk.language, site=site, **options
        )

    # -- language ---------------------------------------------------------------------------

    def _(self, msgid: str) -> str:
        """`msgid` in the current language."""
        return translator(self.language).gettext(msgid)

    @property
    def words(self) -> Translator:
        """The current language's translator: plural forms, money, days and times."""
        return translator(self.language)

    def watch_language(self) -> None:
        screen = self.screen
        if isinstance(screen, KioskScreen) and screen.is_mounted:
            screen.follow_language()

    def choose_language(self, language: str) -> None:
        if language in LANGUAGES:
            self.language = language

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # -- start: Welcome first, then the database layer and the services -----------------------

    def on_mount(self) -> None:
        welcome = WelcomeScreen()
        self.push_screen(welcome)
        self.set_interval(IDLE_CHECK_SECONDS, self.check_idle_timeout)
        self.load_services(welcome)

    def on_ready(self) -> None:
        self.drawn.set()  # the first frame is on the terminal

    def on_unmount(self) -> None:
        self.drawn.set()  # closed before its first frame: the loader gives up

    @work(thread=True, group="services", exit_on_error=False)
    def load_services(self, welcome: WelcomeScreen) -> None:
        """Once the first frame is drawn, make the engine (importing the database layer) and
        hand it to the workers waiting for it, fill in Welcome's lab at a glance (no such site:
        `refuse`), then load the modules that a scan or F5 needs next."""
        self.drawn.wait()  # the imports below would hold the first frame back
        if not self.is_running:  # closed before its first frame: nothing to load
            self.loaded.set_exception(RuntimeError("the kiosk closed before it was loaded"))
            return
        try:
            settings = self.load_settings()
            self.site = self.site or settings.kiosk.site
            self.timezone = self.timezone or settings.scheduler.timezone
            engine = self.connect()
        except BaseException as error:
            self.loaded.set_exception(error)  # each waiting worker raises it
            raise
        self.loaded.set_result((settings, engine))
        from kiosk.views import read_machines, warm_up

        site_name, machines = read_machines(engine, self.site)
        welcome.post_message(MachinesListed(site_name, machines))
        warm_up()

    @property
    def settings(self) -> Settings:
        """The settings, once the loader has them: as `engine`."""
        return self._loaded()[0]

    @property
    def engine(self) -> Engine:
        """The database engine, once the loader has made it: a worker that asks sooner waits
        here. The main thread never waits (its event loop draws the frame the loader waits
        for): asking there too soon is a mistake, said at once."""
        return self._loaded()[1]

    def _loaded(self) -> tuple[Settings, Engine]:
        if not self.loaded.done() and threading.current_thread() is threading.main_thread():
            raise RuntimeError("the kiosk's services load after its first frame: use a worker")
        return self.loaded.result()

    def refuse(self, error: FabdeskError) -> None:
        """The kiosk cannot run as configured (no such site, a wrong database URL): close, for
        the command to say why (a mistake to fix now, not to wait for)."""
        log.error("kiosk_refused_to_start code=%s", error.code)
        self.refusal = error
        self.exit(return_code=1)

    # -- cancellations that wait for an undo ---------------------------------------------------

    def cancel_later(self, booking_id: int) -> None:
        """Cancel the maker's booking in `kiosk.undo_seconds`, unless they undo it before."""
        assert self.maker is not None
        maker_id = self.maker.maker_id
        self.pending_cancels[booking_id] = self.set_timer(
            self.settings.kiosk.undo_seconds, lambda: self.cancel_now(booking_id, maker_id)
        )

    def undo_cancels(self) -> bool:
        """Take back the cancellations still waiting; True if there were any."""
        timers = list(self.pending_cancels.values())
        self.pending_cancels.clear()
        for timer in timers:
            timer.stop()
        return bool(timers)

    def cancel_now(self, booking_id: int, maker_id: int) -> None:
        if self.pending_cancels.pop(booking_id, None) is not None:
            self.make_cancel(booking_id, maker_id)

    @work(thread=True, group="cancel", exit_on_error=False)
    def make_cancel(self, booking_id: int, maker_id: int) -> None:
        from fabdesk.db import write_session
        from scheduling.bookings import cancel

        with write_session(self.engine) as session:
            cancel(
                session,
                booking_id=booking_id,
                now=self.clock(),
                maker_id=maker_id,
                settings=self.settings.scheduler,
            )
        self.call_from_thread(self.cancelled, booking_id)

    def cancelled(self, booking_id: int) -> None:
        log.info("kiosk_booking_cancelled booking_id=%s", booking_id)
        screen = self.screen
        if isinstance(screen, KioskScreen) and self.maker is not None:
            screen.show_message(self._("Booking cancelled."))
            screen.refresh_bookings()

    def forget(self) -> None:
        """Forget the maker or manager and go back to Welcome in the kiosk's own language. A
        cancellation still waiting for an undo is made now: the person has gone."""
        for booking_id, timer in list(self.pending_cancels.items()):
            timer.stop()
            if self.maker is not None:
                self.cancel_now(booking_id, self.maker.maker_id)
        self.maker = None
        self.manager = None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.language = self.home_language
        screen = self.screen_stack[-1]
        if isinstance(screen, WelcomeScreen):
            screen.reset()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.Paste):
            self.last_activity = self.monotonic()
            if self.warned:
                self.warned = False
                self.clear_notifications()
        await super().on_event(event)

    def check_idle_timeout(self) -> None:
        """Idle for `kiosk.idle_seconds`: back to a clean Welcome in the kiosk's language, the
        person forgotten (privacy), their last message and language too."""
        screen = self.screen
        if isinstance(screen, UnavailableScreen) or not self.loaded.done():
            return  # nobody can be known here before the loader is done
        if isinstance(screen, WelcomeScreen) and screen.is_clean():
            return  # nobody here, and nothing left of the last person
        idle = self.settings.kiosk.idle_seconds
        left = idle - (self.monotonic() - self.last_activity)
        if left <= 0:
            log.info("kiosk_idle_reset site=%s", self.site)
            self.warned = False
            self.clear_notifications()
            self.forget()
        elif left <= idle_warning(idle) and not self.warned and (self.maker or self.manager):
            self.warned = True
            self.notify(
                self._(
                    "Still there? In {seconds} seconds the kiosk forgets you: press a key to stay."
                ).format(seconds=round(left)),
                timeout=left,
            )

    def action_nothing(self) -> None:
        """Ctrl+C does nothing at a kiosk (a manager quits with Ctrl+Q)."""

    # -- failures ------------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.worker_changed(event)  # the app's own workers (a cancellation made later)

    def worker_changed(self, event: Worker.StateChanged) -> None:
        """The one place a failed worker lands (screens forward their workers' state here)."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        screen = event.worker.node
        if isinstance(error, DatabaseUnavailable):
            self.database_lost()
            return
        if isinstance(error, FabdeskError) and event.worker.group == "services":
            self.refuse(error)
            return
        if isinstance(error, FabdeskError):
            log.info("kiosk_refused code=%s worker=%s", error.code, event.worker.name)
            text = error.render(self._, self.language)
            target = screen if isinstance(screen, KioskScreen) else self.screen
            if isinstance(target, KioskScreen):
                target.show_message(text, error=True)
                self.guide(target, error, text)
            return
        self.check_database(error if error is not None else RuntimeError("worker failed"))

    def guide(self, screen: KioskScreen, error: FabdeskError, text: str) -> None:
        """After a refusal a maker can cure, show them the way: the next trainings for a machine
        they are not (or no longer) trained on."""
        from kiosk.screens.training_offer import TRAINING_REFUSALS, TrainingOfferScreen

        machine = screen.machine_in_question()
        if machine is None or not isinstance(error, RuleViolation):
            return
        if any(violation.code in TRAINING_REFUSALS for violation in error.violations):
            self.push_screen(TrainingOfferScreen(machine, text), callback=screen.done)

    @work(thread=True, group="database-check", exit_on_error=False)
    def check_database(self, error: BaseException) -> None:
        """A worker failed unexpectedly: when the database does not answer, that is why (the
        kiosk waits for it); otherwise it is an incident."""
        from fabdesk.db import check_connection

        try:
            engine = self.engine
        except Exception:  # the loader could not make it: nothing to check
            self.call_from_thread(self.incident, error)
            return
        try:
            check_connection(engine)
        except DatabaseUnavailable:
            self.call_from_thread(self.database_lost)
        else:
            self.call_from_thread(self.incident, error)

    def database_lost(self) -> None:
        """Forget whoever was here and wait for the database (the engine logs the loss and the
        return, once each: `fabdesk.db.DatabaseWatch`)."""
        if any(isinstance(screen, UnavailableScreen) for screen in self.screen_stack):
            return
        self.maker = None
        self.manager = None
        self.push_screen(UnavailableScreen())

    def database_back(self) -> None:
        self.forget()
        welcome = self.screen
        if isinstance(welcome, WelcomeScreen):
            welcome.load_machines()

    def incident(self, error: BaseException) -> None:
        """Log an unexpected error with its traceback and show the apology screen; an error
        already met (the loader's, raised again in each worker that waited for it) is one."""
        if any(error is met for met in self.incidents):
            return
        self.incidents.append(error)
        log.error("kiosk_incident", exc_info=error)
        if not isinstance(self.screen, OopsScreen):
            self.push_screen(OopsScreen())

    def _handle_exception(self, error: Exception) -> None:
        # Textual's default is to exit with a traceback; at a kiosk we log, apologise, carry on.
        # A failure while apologising (or a second one in a row) falls back to the default.
        stack = self.screen_stack
        if not stack or isinstance(stack[-1], OopsScreen) or len(self.incidents) > 50:
            super()._handle_exception(error)
            return
        try:
            self.incident(error)
        except Exception:  # the apology itself failed: let Textual end the app
            super()._handle_exception(error)
