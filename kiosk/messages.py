"""What the kiosk's workers and widgets tell the screens: facts, named in the past tense."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


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


class Scanned(Message):
    """A scanner (or a person typing) entered a value and pressed Enter."""

    def __init__(self, value: str) -> None:
        self.value = value
        super().__init__()


class MakerIdentified(Message):
    """A badge was recognised: this maker is now at the terminal."""

    def __init__(self, person: Person) -> None:
        self.person = person
        super().__init__()


class ManagerLoggedIn(Message):
    """A manager's badge and PIN were accepted."""

    def __init__(self, person: Person) -> None:
        self.person = person
        super().__init__()


class MachinesListed(Message):
    """The machines of the site were read (for the board at a glance)."""

    def __init__(self, site_name: str, machines: list[MachineLine]) -> None:
        self.site_name = site_name
        self.machines = machines
        super().__init__()


class LanguageChosen(Message):
    """A person picked a language with a button or a key."""

    def __init__(self, language: str) -> None:
        self.language = language
        super().__init__()
