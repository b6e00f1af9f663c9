"""Welcome: pick a language, scan a badge to start, and see the lab at a glance.

The first screen drawn, before the database layer and the services are loaded (see kiosk.app):
they are imported in the workers here, which wait for the kiosk's loader."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from kiosk.i18n import LANGUAGES, N_
from kiosk.messages import MachineLine, MachinesListed, MakerIdentified, Person, Scanned
from kiosk.screens.base import KioskScreen
from kiosk.widgets.message_line import MessageLine
from kiosk.widgets.scan_input import ScanInput

if TYPE_CHECKING:
    from kiosk.widgets.table import Table

LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}


class WelcomeScreen(KioskScreen):
    KEYS = [
        ("F1", "Français"),
        ("F2", "Nederlands"),
        ("F3", "English"),
        ("F5", N_("Manager")),
    ]
    BINDINGS = [
        Binding("f1", "language('fr')", show=False, priority=True),
        Binding("f2", "language('nl')", show=False, priority=True),
        Binding("f3", "language('en')", show=False, priority=True),
        Binding("f5", "manager", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.site_name = ""
        self.machines: list[MachineLine] = []
        self.language_chosen = False
        """The person picked a language here before scanning: it is saved for them."""

    def compose(self) -> ComposeResult:
        with Vertical(id="welcome"):
            yield Static(self.site_name or "fabdesk", id="site-name", classes="title")
            yield Static(self._languages(), id="languages")
            yield Static(
                self._("Welcome! Scan your badge or the QR code of your member card to start."),
                id="prompt",
            )
            yield ScanInput(self._("Badge or member number"), id="scan")
            yield MessageLine(id="message")
            yield Static(self._("The lab at a glance"), classes="section")
            if self.machines:
                yield self._glance()
        yield self.key_hints()

    def _languages(self) -> str:
        """The language names, each a link to choose it (text, not Buttons: Welcome is the first
        frame, and a Button's styles cost it 45 ms; the scan field keeps the focus anyway)."""
        return "  ".join(
            f"[{'b reverse ' if code == self.kiosk.language else ''}"
            f"@click=screen.language('{code}')] {LANGUAGE_NAMES[code]} [/]"
            for code in LANGUAGES
        )

    def _glance(self) -> Table[str]:
        """The lab at a glance, made once the loader has listed the machines (none are known
        before the first frame, and a DataTable's styles would cost it 35 ms)."""
        from kiosk.widgets.table import Table

        glance: Table[str] = Table(id="glance", cursor_type="none", zebra_stripes=True)
        glance.can_focus = False
        return glance

    def on_mount(self) -> None:
        self.after_recompose()  # the lab at a glance comes from the kiosk's loader

    def after_recompose(self) -> None:
        self.query_one("#scan", ScanInput).focus()
        self.fill_glance()

    def is_clean(self) -> bool:
        """As the next person should find it: no message, nothing typed, the kiosk's language."""
        # query, not query_one: the app's timer asks, maybe while the screen is being recomposed
        return (
            not self.language_chosen
            and not any(line.text for line in self.query(MessageLine))
            and not any(field.value for field in self.query(ScanInput))
            and self.kiosk.language == self.kiosk.home_language
        )

    def reset(self) -> None:
        """Back to a clean Welcome for the next person."""
        self.language_chosen = False
        self.clear_message()
        scan = self.query_one("#scan", ScanInput)
        scan.value = ""
        scan.focus()

    # -- the lab at a glance -------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="welcome-machines", exit_on_error=False)
    def load_machines(self) -> None:
        from kiosk.views import read_machines

        site_name, machines = read_machines(self.kiosk.engine, self.kiosk.site)
        self.post_message(MachinesListed(site_name, machines))

    def on_machines_listed(self, message: MachinesListed) -> None:
        self.site_name = message.site_name
        self.machines = message.machines
        self.query_one("#site-name", Static).update(self.site_name)
        if not self.query("#glance"):
            self.query_one("#welcome").mount(self._glance())
        self.fill_glance()

    def fill_glance(self) -> None:
        if not self.machines:
            return
        from kiosk.views import STATUS_LABELS
        from kiosk.widgets.table import Table

        table: Table[str] = self.query_one("#glance", Table)
        table.clear(columns=True)
        table.add_columns(self._("Machine"), self._("Kind"), self._("Status"))
        language = self.kiosk.language
        for line in self.machines:
            table.add_row(line.name, line.category[language], self._(STATUS_LABELS[line.status]))

    # -- language and badge --------------------------------------------------------------------

    def action_language(self, language: str) -> None:
        self.language_chosen = True
        self.kiosk.choose_language(language)

    def action_manager(self) -> None:
        from kiosk.screens.manager_login import ManagerLoginScreen

        self.app.push_screen(ManagerLoginScreen())

    def on_scanned(self, message: Scanned) -> None:
        self.clear_message()
        self.identify(message.value, self.kiosk.language if self.language_chosen else None)

    @work(thread=True, exclusive=True, group="welcome-scan", exit_on_error=False)
    def identify(self, scanned: str, chosen_language: str | None) -> None:
        from fabdesk.db import session_scope, write_session
        from fabdesk.models import id_of
        from inventory.makers import find_by_badge, set_language

        with session_scope(self.kiosk.engine) as session:
            maker = find_by_badge(session, scanned)
            person = Person(id_of(maker), maker.name, chosen_language or maker.language)
        if person.language != maker.language:
            # A write of its own: a read that turns into a write is refused at once by SQLite
            # when a driver's ingest committed in between (write_session waits for the lock).
            with write_session(self.kiosk.engine) as session:
                set_language(session, person.maker_id, person.language)
        self.post_message(MakerIdentified(person))

    def on_maker_identified(self, message: MakerIdentified) -> None:
        from kiosk.screens.board import BoardScreen

        self.kiosk.maker = message.person
        self.app.push_screen(BoardScreen())
        self.kiosk.language = message.person.language  # the board is drawn in it from the start
