"""One Settings object: FABDESK_* environment variables over an optional TOML file over defaults.

Plain pydantic models read by `load_settings`: pydantic-settings would do the environment's part,
but importing it (asyncio, its many sources) costs every command and the kiosk about a tenth of
a second of start-up, more than the twenty lines of `_environment` below."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from fabdesk.booking_rules import BookingRules
from fabdesk.errors import ConfigError
from fabdesk.settings_file import KIOSK_LANGUAGE, read_file, setting_path

Language = Literal["fr", "nl", "en"]


def data_dir() -> Path:
    """Where fabdesk keeps its files by default (the user's data directory)."""
    return Path(platformdirs.user_data_dir("fabdesk", appauthor=False))


class Section(BaseModel):
    """A settings section: unknown keys are refused so that a typo is caught."""

    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(Section):
    url: str = ""
    """SQLAlchemy URL: `sqlite:///path/fabdesk.db` or `postgresql://user:pw@host/db`. Empty means a
    SQLite file in the user's data directory."""
    busy_timeout_ms: int = Field(default=5000, ge=0)
    """How long a SQLite writer waits for the lock before it gives up."""
    pool_size: int = Field(default=5, ge=1)
    """PostgreSQL connections kept open per process."""
    echo: bool = False
    """Log every SQL statement (debugging only)."""

    def resolved_url(self) -> str:
        """The URL to connect to, with the default SQLite file filled in."""
        if self.url:
            return self.url
        return f"sqlite:///{data_dir() / 'fabdesk.db'}"


class ApiSettings(Section):
    host: str = "127.0.0.1"
    """Address `fabdesk serve` listens on."""
    port: int = Field(default=8750, ge=1, le=65535)
    """Port `fabdesk serve` listens on."""
    public_url: str = "http://127.0.0.1:8750"
    """The address people and drivers use to reach the server (used in labels and feeds)."""
    device_requests_per_second: float = Field(default=20.0, gt=0)
    """Requests a driver device may make per second, on average (above it: 429 Retry-After)."""
    device_burst: int = Field(default=60, ge=1)
    """Requests a driver device may make at once after a quiet spell (outbox catch-up)."""
    device_cache_seconds: float = Field(default=2.0, ge=0)
    """How long the server trusts a device token it has checked before checking it again: a
    revoked token is refused at most this long after `fabdesk device revoke`. 0 checks every
    request."""
    workers: int = Field(default=1, ge=1)
    """uvicorn worker processes of `fabdesk serve` (rate limits are per process)."""
    maker_requests_per_second: float = Field(default=2.0, gt=0)
    """Requests one maker token may make per second, on average, to `/api/v1/me/` (429 above)."""
    maker_burst: int = Field(default=30, ge=1)
    """Requests one maker token may make at once after a quiet spell."""
    clock_tolerance_seconds: float = Field(default=300.0, ge=0)
    """How far after the moment the server receives it a device time may be before it counts
    as a wrong clock (corrected by the batch's offset; see docs/attribution.md)."""
    failed_auth_per_minute: int = Field(default=10, ge=1)
    """Requests with a wrong token one client address may make per minute; beyond it every
    request of that address is refused (429) for the rest of the minute, before any token check."""

    @property
    def clock_tolerance(self) -> timedelta:
        return timedelta(seconds=self.clock_tolerance_seconds)


class SuspensionPolicy(Section):
    """When repeated no-shows or late cancellations suspend a maker's bookings."""

    strikes: int = Field(default=3, ge=1)
    """No-shows plus late cancellations within the window that trigger a suspension."""
    window_days: int = Field(default=30, ge=1)
    """How far back strikes are counted."""
    suspension_days: int = Field(default=14, ge=1)
    """How long a suspension lasts."""


class SmtpSettings(Section):
    host: str = ""
    """SMTP server; empty keeps messages in the outbox table only."""
    port: int = Field(default=587, ge=1, le=65535)
    """SMTP port."""
    username: str = ""
    """SMTP login, empty for none."""
    password: SecretStr = SecretStr("")
    """SMTP password."""
    starttls: bool = True
    """Upgrade the connection with STARTTLS."""
    sender: str = "fabdesk@localhost"
    """From address of the messages."""


class SchedulerSettings(Section):
    enabled: bool = True
    """Run the background jobs inside `fabdesk serve`."""
    timezone: str = "Europe/Brussels"
    """Timezone bookings are shown in and daily jobs run in."""
    booking: BookingRules = BookingRules()
    """Booking rules of machines with no policy of their own or of their category."""
    suspension: SuspensionPolicy = SuspensionPolicy()
    """Repeated no-shows and late cancellations."""
    waitlist_offer_minutes: int = Field(default=30, ge=1)
    """How long the first in line has to confirm a freed slot before it goes to the next."""
    reminder_minutes: int = Field(default=120, ge=1)
    """Makers get a reminder this long before their booking starts."""
    certification_warning_days: int = Field(default=14, ge=1)
    """Makers are warned this many days before a certification expires."""
    lapse_warning_days: int = Field(default=7, ge=1)
    """Makers are warned this many days before an unused certification lapses."""
    machine_walk_in_minutes: int = Field(default=60, ge=0)
    """A certified maker who badges at a free machine gets a walk-in booking this long (0: no
    walk-ins at the machine, only a running booking lets a badge use it). See docs/badges.md."""
    offline_minutes: int = Field(default=15, ge=1)
    """A machine whose driver is silent this long is reported offline to the managers."""
    leader_lock_key: int = 4_716_001
    """PostgreSQL advisory lock key: the scheduler holding it is the leader."""
    leader_poll_seconds: float = Field(default=5.0, gt=0)
    """How often a follower tries to become the leader."""
    misfire_grace_seconds: int = Field(default=3600, ge=1)
    """A run missed by less than this (downtime) still runs, once (missed runs are coalesced)."""
    smtp: SmtpSettings = SmtpSettings()
    """Outgoing mail."""


class KioskSettings(Section):
    site: str = "cityfab1"
    """Code of the site this kiosk stands in."""
    language: Language = KIOSK_LANGUAGE
    """Language of the welcome screen before a maker is known."""
    idle_seconds: int = Field(default=60, ge=5)
    """Seconds without a key before the kiosk forgets the maker and goes back to Welcome."""
    undo_seconds: int = Field(default=10, ge=1, le=60)
    """Seconds a maker has to take back a cancellation (U) before it is made."""


class InventorySettings(Section):
    label_url: str = ""
    """QR label content: empty puts the bare asset tag in the code; a URL such as
    `https://fab.example.org/e/` puts that URL followed by the tag (scans accept both)."""
    audit_interval_days: int = Field(default=365, ge=1)
    """Days from an audit that found an item to that item's next audit."""
    opendata_publisher: str = ""
    """Who publishes the open data, as the DCAT-AP catalogue names it (e.g. `Fablabs de
    Bruxelles asbl`); `fabdesk opendata --format dcat` refuses to write it while empty."""
    opendata_publisher_url: str = ""
    """The publisher's web site (optional), in the catalogue."""


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Lowest level written."""
    json_lines: bool = False
    """Write JSON lines (for services) instead of readable console lines."""


class MaterialSettings(Section):
    """A material sold by weight (filament, resin), charged from what the driver measured."""

    name: str
    """Shown on statements, e.g. `PLA filament`."""
    price_cents_per_kg: int = Field(ge=0)
    """What the maker pays per kilogram, VAT included."""
    cost_cents_per_kg: int = Field(ge=0)
    """What the lab paid per kilogram (material at cost is kept out of co-investor revenue)."""
    density_g_per_cm3: Decimal = Field(default=Decimal("1.24"), gt=0)
    """Density, to weigh filament from its length (PLA 1.24, PETG 1.27)."""
    diameter_mm: Decimal = Field(default=Decimal("1.75"), gt=0)
    """Filament diameter, to weigh filament from its length."""


def _default_materials() -> dict[str, MaterialSettings]:
    return {
        "fdm": MaterialSettings(
            name="PLA filament", price_cents_per_kg=4000, cost_cents_per_kg=2000
        ),
        "resin": MaterialSettings(
            name="Standard resin",
            price_cents_per_kg=9000,
            cost_cents_per_kg=5000,
            density_g_per_cm3=Decimal("1.10"),
        ),
    }


class ChargePolicySettings(Section):
    """How a machine category's use is charged (as core facilities do)."""

    basis: Literal["measured", "booked", "greater"] = "measured"
    """`measured`: the active time the driver measured; `booked`: the booking's time (measured
    when there was no booking); `greater`: the greater of the two."""
    missed_booking: Literal["free", "fee", "booked"] = "free"
    """A booking released as a no-show: `free`; a fixed `fee`; or its `booked` time at the rate."""
    missed_booking_fee_cents: int = Field(default=0, ge=0)
    """The fee of a missed booking (with `missed_booking = "fee"`), VAT included."""


class InvoicingSettings(Section):
    """The lab as printed on its invoices and credit notes (the legal entity that sells)."""

    legal_name: str = ""
    """Legal name, e.g. `Cityfab asbl`. Invoices are refused until it is set."""
    address: str = ""
    """Street and number, postcode and town, e.g. `Rue de Laeken 1, 1000 Bruxelles`."""
    vat_number: str = ""
    """Enterprise / VAT number, e.g. `BE0123.456.749` (checked)."""
    iban: str = ""
    """The account customers pay to, e.g. `BE68 5390 0754 7034` (checked)."""
    bic: str = ""
    """The bank's BIC (optional in the EPC payment QR code within the SEPA area)."""
    payment_days: int = Field(default=30, ge=0, le=120)
    """Days from the invoice's date to its due date."""
    invoice_series: str = Field(default="F", pattern=r"^[A-Z]{1,8}$")
    """Letters before an invoice's number (`F2026-00001`)."""
    credit_note_series: str = Field(default="C", pattern=r"^[A-Z]{1,8}$")
    """Letters before a credit note's number (`C2026-00001`)."""


def _default_chart() -> dict[str, str]:
    return {
        "maker": "400000",
        "organisation": "400000",
        "cheque": "416000",
        "programme": "416000",
        "investor": "489000",
        "revenue": "700000",
        "materials": "701000",
        "vat": "451000",
        "bank": "550000",
    }


def _default_journals() -> dict[str, str]:
    return {"sales": "VEN", "credit_notes": "NCV", "bank": "FIN", "miscellaneous": "OD"}


class JournalSettings(Section):
    """How the ledger maps to the accountant's books (the Belgian minimum chart of accounts)."""

    accounts: dict[str, str] = Field(default_factory=_default_chart)
    """Account number per ledger account kind: maker and organisation (customers, 400000),
    cheque and programme (funders' receivables, 416000), investor (co-investors' shares,
    489000), revenue (machine time, 700000), materials (material sold, 701000), vat (VAT
    payable, 451000), bank (550000)."""
    journals: dict[str, str] = Field(default_factory=_default_journals)
    """Journal code per journal: sales, credit_notes, bank, miscellaneous."""
    vat_code: str = "21"
    """The VAT code the accountant's software uses for the standard rate, on VAT lines."""


class AccountingSettings(Section):
    vat_rate: Decimal = Field(default=Decimal("0.21"), ge=0, lt=1)
    """VAT rate included in every rate (Belgium: 0.21), shown on statements."""
    tier_discounts: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "standard": Decimal(0),
            "student": Decimal("0.5"),
            "nonprofit": Decimal("0.3"),
        }
    )
    """Reduction of the machine time price per maker tier, as a fraction (0.5 = half price)."""
    usage_rights_discount: Decimal = Field(default=Decimal(1), ge=0, le=1)
    """Reduction of machine time within a co-investor's usage rights (1 = free)."""
    materials: dict[str, MaterialSettings] = Field(default_factory=_default_materials)
    """Material charged per equipment category code (e.g. `fdm`), from grams or filament length."""
    journal: JournalSettings = JournalSettings()
    """The accountant's journal: chart of accounts, journal codes, VAT code."""
    invoicing: InvoicingSettings = InvoicingSettings()
    """The lab's legal data on invoices, payment terms and number series."""
    charge_policies: dict[str, ChargePolicySettings] = Field(default_factory=dict)
    """Charge policy per equipment category code (e.g. `cnc`); a category not named is charged
    by measured use, and its missed bookings are free."""


class PrivacySettings(Section):
    notifications_days: int = Field(default=180, ge=1)
    """Days a sent message (reminder, offer…) is kept in the outbox before it is deleted."""
    inactive_maker_days: int = Field(default=0, ge=0)
    """Erase the personal data of makers with no booking, usage or training for this many days
    (and nothing owed); 0 keeps them until a manager erases them."""
    backup_folder: str = ""
    """Where `fabdesk backup` writes and the retention job prunes; empty: `backups/` in the data
    folder."""
    backup_daily_days: int = Field(default=7, ge=1)
    """Every backup younger than this is kept; older ones, one a week (the week's newest)."""
    backup_days: int = Field(default=35, ge=1)
    """No backup older than this is kept (the scheduler's `apply_retention` job and `fabdesk
    backup` delete them): a person erased today is gone from every backup after this many days."""

    def backups(self) -> Path:
        """The backup folder, with the default filled in."""
        return Path(self.backup_folder) if self.backup_folder else data_dir() / "backups"


class CliSettings(Section):
    manager: str = ""
    """Member number of the manager the `fabdesk` commands act as when `--as` is not given
    (their actions are recorded under that manager's id)."""


class DeskSettings(Section):
    """The lab desk: problem reports, trainings, disputes."""

    managers_email: str = "managers@localhost"
    """Where messages for the managers go (serious problem reports, new disputes)."""
    language: Language = "fr"
    """Language of the messages sent to `managers_email` (machines offline, serious problems,
    overdue loans); a manager's own messages are in the language of their member record."""
    training_notice_hours: int = Field(default=48, ge=0)
    """A training still below its minimum of participants this long before it starts is
    cancelled, and its makers told."""


class Settings(Section):
    """Every setting of fabdesk. Environment: FABDESK_<SECTION>__<FIELD>, e.g.
    FABDESK_DATABASE__URL."""

    database: DatabaseSettings = DatabaseSettings()
    """Where the data lives."""
    api: ApiSettings = ApiSettings()
    """The HTTP server."""
    scheduler: SchedulerSettings = SchedulerSettings()
    """The background jobs."""
    kiosk: KioskSettings = KioskSettings()
    """The terminal at each lab."""
    logging: LoggingSettings = LoggingSettings()
    """Log output."""
    accounting: AccountingSettings = AccountingSettings()
    """Prices, VAT, tiers and materials used to charge usage."""
    privacy: PrivacySettings = PrivacySettings()
    """How long personal data is kept."""
    inventory: InventorySettings = InventorySettings()
    """The equipment cadastre: labels and audits."""
    desk: DeskSettings = DeskSettings()
    """Problem reports, trainings and disputes."""
    cli: CliSettings = CliSettings()
    """The `fabdesk` commands."""

    def fingerprint(self) -> str:
        """A short hash of the settings (secrets masked), for log headers."""
        raw = json.dumps(self.model_dump(mode="json"), sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()[:12]

    def masked(self) -> dict[str, Any]:
        """The settings as plain data with every secret shown as ********: secret fields and
        the password of the database URL."""
        data = self.model_dump(mode="json")
        data["database"]["url"] = masked_url(self.database.url)
        return data


def masked_url(url: str) -> str:
    """A database URL with its password shown as ********."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url) if url else None
    except ArgumentError:
        return "********" if "@" in url else url
    if parsed is None or parsed.password is None:
        return url
    return parsed.render_as_string(hide_password=True).replace("***", "********")


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _is_structured(annotation: Any) -> bool:
    """Whether a field holds a section, a mapping or a list: its variable is then JSON."""
    origin = getattr(annotation, "__origin__", annotation)
    return isinstance(origin, type) and issubclass(origin, BaseModel | dict | list | tuple)


def _environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given as FABDESK_* variables, nested at each `__`. Variables naming no
    section (FABDESK_CONFIG, a driver's own) are not settings; a wrong name inside a section
    is refused by the validation, as a typo in the TOML file is."""
    values: dict[str, Any] = {}
    for name, raw in environ.items():
        path = setting_path(name)
        if path is None or path[0] not in Settings.model_fields:
            continue
        annotation: Any = Settings
        for key in path:
            section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
            fields = annotation.model_fields if section else {}
            annotation = fields[key].annotation if key in fields else None
        value: Any = raw
        if _is_structured(annotation):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ConfigError(
                    "Setting {name} is wrong: {reason}", name=name, reason=f"not JSON ({exc})"
                ) from None
        *parents, last = path
        target = values
        for key in parents:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        target[last] = value
    return values


def load_settings(path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from the TOML file at `path` (or $FABDESK_CONFIG), then `overrides`, under the
    environment, which wins."""
    values = _merge(_merge(read_file(path), overrides or {}), _environment(os.environ))
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            "Setting {name} is wrong: {reason}", name=where, reason=first["msg"]
        ) from None
