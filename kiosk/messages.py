"""What the kiosk's workers and widgets tell the screens: facts, named in the past tense."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from datetime import date

    from fabdesk.accounting.statements import ChargeLine
    from fabdesk.usage.history import UsageLine
    from inventory.trainings import TrainingOffer


@dataclass(frozen=True)
class Person:
    """Who is at the terminal: a maker, or a manager (a maker with a PIN)."""

    maker_id: int
    name: str
    language: str


@dataclass(frozen=True)
class MachineLine:
    """One machine of the site as the kiosk shows it (plain values, no database object)."""

    asset_tag: str
    name: str
    category: dict[str, str]
    """The category's name per language."""
    status: str
    bookable: bool
    equipment_id: int = 0


class KioskMessage(Message):
    """What the kiosk's own workers and widgets post (a screen that is leaving drops them)."""


class TrainingsOffered(KioskMessage):
    """The next trainings a maker may enrol in, to be allowed on a machine."""

    def __init__(self, offers: list[TrainingOffer]) -> None:
        self.offers = offers
        super().__init__()


class NextFreeFound(KioskMessage):
    """The next free stretch of a taken slot's machine (a scheduling.availability.FreeSlot), or
    None within the booking horizon."""

    def __init__(self, slot: object) -> None:
        self.slot = slot
        super().__init__()


class DatabaseBack(KioskMessage):
    """The database answers again after it was unavailable."""


class Scanned(KioskMessage):
    """A scanner (or a person typing) entered a value and pressed Enter."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__()


class MakerIdentified(KioskMessage):
    """A badge was recognised: this maker is now at the terminal."""

    def __init__(self, person: Person) -> None:
        self.person = person
        super().__init__()


class ManagerLoggedIn(KioskMessage):
    """A manager's badge and PIN were accepted."""

    def __init__(self, person: Person) -> None:
        self.person = person
        super().__init__()


class MachinesListed(KioskMessage):
    """The machines of the site were read (for the board at a glance)."""

    def __init__(self, site_name: str, machines: list[MachineLine]) -> None:
        self.site_name = site_name
        self.machines = machines
        super().__init__()


class LanguageChosen(KioskMessage):
    """A person picked a language with a button or a key."""

    def __init__(self, language: str) -> None:
        self.language = language
        super().__init__()


class BoardLoaded(KioskMessage):
    """The site's board of the day was read and drawn."""

    def __init__(self, view: object) -> None:
        self.view = view
        super().__init__()


class ActionDone(KioskMessage):
    """A service accepted what the person asked; `text` is the translated sentence to show."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__()


class BookingConfirmed(ActionDone):
    """A booking (or a walk-in) was made."""


class WaitlistJoined(ActionDone):
    """The maker now waits for a taken slot."""


class BookingChanged(ActionDone):
    """A booking was checked in, cancelled or extended."""


class MeLoaded(KioskMessage):
    """The maker's bookings, cheques, balance, recent usage and charges were read."""

    def __init__(
        self,
        bookings: list[BookingLine],
        cheques: list[ChequeLine],
        owed: int,
        usage: list[UsageLine],
        charges: list[ChargeLine],
    ) -> None:
        self.bookings = bookings
        self.cheques = cheques
        self.owed = owed
        self.usage = usage
        self.charges = charges
        super().__init__()


class ChargesListed(KioskMessage):
    """The charges a maker may dispute were read."""

    def __init__(self, charges: list[ChargeLine]) -> None:
        self.charges = charges
        super().__init__()


class DisputesListed(KioskMessage):
    """The open disputes were read."""

    def __init__(self, disputes: list[DisputeLine]) -> None:
        self.disputes = disputes
        super().__init__()


class TrainingsListed(KioskMessage):
    """The trainings of the site were read."""

    def __init__(self, trainings: list[TrainingLine]) -> None:
        self.trainings = trainings
        super().__init__()


class AuditScanned(KioskMessage):
    """A label was scanned into the open audit."""

    def __init__(
        self,
        audit_id: int,
        outcome: str,
        content: str,
        name: str,
        progress: tuple[int, int],
        flag: str = "",
    ) -> None:
        self.audit_id = audit_id
        self.outcome = outcome
        self.content = content
        self.name = name
        self.progress = progress
        """(seen, expected) items of the site."""
        self.flag = flag
        """`retired` or `lent_out`: the register says the item should not be here."""
        super().__init__()


class AuditOpened(KioskMessage):
    def __init__(self, audit_id: int, counts: dict[str, int], progress: tuple[int, int]) -> None:
        self.audit_id = audit_id
        self.counts = counts
        self.progress = progress
        super().__init__()


class AuditClosed(KioskMessage):
    """The audit was closed: its report counts by outcome, and what is missing: (asset tag,
    name, registered location, day last seen or None)."""

    def __init__(
        self,
        audit_id: int,
        counts: dict[str, int],
        missing: list[tuple[str, str, str, date | None]],
    ) -> None:
        self.audit_id = audit_id
        self.counts = counts
        self.missing = missing
        super().__init__()


@dataclass(frozen=True)
class BookingLine:
    booking_id: int
    machine: str
    starts_at: str
    ends_at: str
    state: str


@dataclass(frozen=True)
class ChequeLine:
    programme: str
    remaining_cents: int
    face_value_cents: int
    expires_on: str
    expired: bool


@dataclass(frozen=True)
class DisputeLine:
    """An open dispute as a manager reads it."""

    dispute_id: int
    opened_on: str
    machine: str
    amount_cents: int
    reason: str


@dataclass(frozen=True)
class TrainingLine:
    """A training of the site as a manager reads it."""

    training_id: int
    names: dict[str, str]
    """The category's name per language."""
    starts_at: str
    enrolled: int
    state: str


class PayersLoaded(KioskMessage):
    """The organisations the maker may book for were read (partner schools, companies)."""

    def __init__(self, payers: list[tuple[int, str]]) -> None:
        self.payers = payers
        """(organisation id, name), by name."""
        super().__init__()


class FirstFreeFound(KioskMessage):
    """The first free slot of a category was looked for (issue 16); `slot` is a
    scheduling.availability.FreeSlot, or None when nothing is free within the horizon."""

    def __init__(self, slot: object) -> None:
        self.slot = slot
        super().__init__()


@dataclass(frozen=True)
class TokenLine:
    """One of the maker's live access tokens, as Phone access lists it."""

    token_id: int
    hint: str
    made: datetime
    last_used: datetime | None


class TokensLoaded(KioskMessage):
    """The maker's live access tokens were read, and `issued` is the one just made (an
    inventory.maker_tokens.IssuedToken), shown once."""

    def __init__(self, tokens: list[TokenLine], issued: object = None) -> None:
        self.tokens = tokens
        self.issued = issued
        super().__init__()


@dataclass(frozen=True)
class WaitingUseLine:
    """A use of a machine nobody could be named for, as a manager reads it (issue 15)."""

    session_id: int
    machine: str
    ended_on: str
    minutes: str
    job: str


class WaitingUseListed(Message):
    """The site's unattributed usage sessions were read."""

    def __init__(self, lines: list[WaitingUseLine]) -> None:
        self.lines = lines
        super().__init__()
