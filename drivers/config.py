"""The driver's TOML configuration (msgspec structs): the server, the machine and its link, the
outbox, the badge reader. (msgspec, not pydantic: see drivers/wire.py for the memory it saves.)

```toml
[server]
url = "https://fabdesk.example.org"
token = "…"                      # the device token of this machine

[machine]
kind = "grbl"                    # grbl | marlin | meter | octoprint
port = "/dev/fabdesk-laser"      # a device path or any pyserial URL (socket://host:port, rfc2217://…)
baudrate = 115200
poll_seconds = 0.2

[machine.bridge]                 # grbl only: where the maker's sender software connects
tcp = "127.0.0.1:8760"

[outbox]
path = "/var/lib/fabdesk-driver/outbox.db"

[badge]                          # optional: a badge reader at the machine (docs/badges.md)
reader = "keyboard"              # keyboard (USB, read through evdev) | rdm6300 (serial)
device = "/dev/input/by-id/usb-reader-event-kbd"

[badge.interlock]                # optional: power the machine only for an allowed maker
kind = "gpio"                    # gpio | shelly
pin = 17
```
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from drivers.errors import DriverConfigError

Positive = Annotated[float, Meta(gt=0)]
NonNegative = Annotated[float, Meta(ge=0)]


class Secret:
    """A secret that never shows in a repr or a log (as pydantic's SecretStr)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


Url = Annotated[str, Meta(pattern=r"^https?://[^/\s]+")]
"""An http:// or https:// address."""


class Section(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    @property
    def kind(self) -> str:
        """The tag the TOML names this section's variant by (`grbl`, `gpio`, `rdm6300`, …)."""
        return str(type(self).__struct_config__.tag)


class ServerConfig(Section):
    url: Url
    """The fabdesk server's base URL; the driver posts to `{url}/api/v1/ingest`."""
    token: Secret
    """This machine's device token (a token belongs to one machine)."""
    timeout_seconds: Positive = 10.0
    batch_events: Annotated[int, Meta(ge=1, le=500)] = 200
    """Events per batch at most (the server takes 500)."""
    heartbeat_seconds: Positive = 60.0
    """How often the driver tells the server the machine's state and its outbox backlog."""
    backoff_max_seconds: Positive = 300.0
    """The longest wait between two attempts while the server is down."""


class BridgeConfig(Section):
    tcp: str | None = None
    """`host:port` where the sender software (LightBurn, LaserGRBL, UGS) connects over TCP."""
    pty_link: Path | None = None
    """A symlink the driver keeps to a pseudo-terminal that the sender opens as a port."""


class SerialMachine(Section):
    port: str
    """A device path (`/dev/ttyUSB0`, a udev name) or a pyserial URL (`socket://…`)."""
    baudrate: int = 115200
    poll_seconds: Positive = 1.0
    """Time between two status polls."""
    reconnect_max_seconds: Positive = 30.0
    progress_seconds: Positive = 60.0
    """How often an open session reports its progress (also its last known time after a crash)."""


class GrblConfig(SerialMachine, tag_field="kind", tag="grbl"):
    poll_seconds: Positive = 0.2
    idle_grace_seconds: NonNegative = 5.0
    """A job ends when the machine stays Idle this long (senders pause between files)."""
    banner_seconds: Positive = 3.0
    bridge: BridgeConfig = msgspec.field(default_factory=BridgeConfig)


class MarlinConfig(SerialMachine, tag_field="kind", tag="marlin"):
    poll_seconds: Positive = 2.0


class MeterConfig(SerialMachine, tag_field="kind", tag="meter"):
    baudrate: int = 9600
    idle_grace_seconds: NonNegative = 0.0


class OctoPrintConfig(Section, tag_field="kind", tag="octoprint"):
    url: Url
    api_key: Secret
    poll_seconds: Positive = 2.0
    reconnect_max_seconds: Positive = 30.0
    progress_seconds: Positive = 60.0
    filament_diameter_mm: Positive = 1.75
    filament_density_g_cm3: Positive = 1.24
    """PLA 1.24, PETG 1.27, ABS 1.04."""
    lost_contact_seconds: Positive = 900.0
    """An open print with OctoPrint unreachable this long is closed as interrupted."""


MachineConfig = GrblConfig | MarlinConfig | MeterConfig | OctoPrintConfig


class KeyboardReaderConfig(Section, tag_field="reader", tag="keyboard"):
    device: str
    """The reader's input device; use its stable name under `/dev/input/by-id/`."""


class Rdm6300ReaderConfig(Section, tag_field="reader", tag="rdm6300"):
    port: str
    """A device path (`/dev/serial0`, a udev name) or a pyserial URL."""
    baudrate: int = 9600
    format: Literal["hex", "decimal"] = "hex"
    """How a card reads: 10 hex digits, or the 10-digit decimal number keyboard readers type."""


class GpioInterlockConfig(Section, tag_field="kind", tag="gpio"):
    pin: Annotated[int, Meta(ge=0, le=53)]
    """BCM pin number of the relay's input."""
    active_high: bool = True
    grace_minutes: NonNegative = 10.0
    """After the booking's end the machine stays powered this long (never cut mid-job)."""


class ShellyInterlockConfig(Section, tag_field="kind", tag="shelly"):
    url: Url
    """The plug's local address, e.g. `http://192.168.1.50`."""
    generation: Literal[1, 2] = 1
    """1: `/relay/0?turn=on`; 2 and later (Plus, Pro): `/rpc/Switch.Set`."""
    channel: Annotated[int, Meta(ge=0)] = 0
    grace_minutes: NonNegative = 10.0


InterlockConfig = GpioInterlockConfig | ShellyInterlockConfig


class BadgeConfig(Section):
    reader: KeyboardReaderConfig | Rdm6300ReaderConfig
    """Written in `[badge]` itself (`reader = "keyboard"`, `device = …`); see `_badge_section`."""
    validity_seconds: Positive = 300.0
    """A session that starts this long after an allowed badge is that maker's."""
    repeat_seconds: NonNegative = 2.0
    """The same badge again within this time is one presentation (a card left on the reader)."""
    allow_list_refresh_seconds: Annotated[float, Meta(ge=10)] = 300.0
    offline_walk_in_minutes: Positive = 60.0
    """Decided alone, a walk-in's right lasts this long (or until the next booking)."""
    on_decision: list[str] = msgspec.field(default_factory=list)
    """A command run at each decision with two more arguments, the result and the sentence:
    a small display or a buzzer (e.g. `["/usr/local/bin/fabdesk-show"]`)."""
    interlock: InterlockConfig | None = None


class OutboxConfig(Section):
    path: Path = Path("/var/lib/fabdesk-driver/outbox.db")
    max_events: Annotated[int, Meta(ge=100)] = 100_000


class LogConfig(Section):
    path: Path | None = None
    """A rotating log file; without it, logs go to stderr (journald on the Pi)."""
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class DriverConfig(Section):
    server: ServerConfig
    machine: MachineConfig
    outbox: OutboxConfig = msgspec.field(default_factory=OutboxConfig)
    log: LogConfig = msgspec.field(default_factory=LogConfig)
    badge: BadgeConfig | None = None


def _badge_section(data: dict[str, Any]) -> dict[str, Any]:
    """The reader's fields sit in `[badge]` itself: gather them under `reader`."""
    badge = data.get("badge")
    if not isinstance(badge, dict) or isinstance(badge.get("reader"), dict):
        return data
    own = set(BadgeConfig.__struct_fields__) - {"reader"}
    reader = {k: v for k, v in badge.items() if k not in own}
    badge = {k: v for k, v in badge.items() if k in own} | {"reader": reader}
    return data | {"badge": badge}


def _decode(kind: type, value: Any) -> Any:
    if kind is Secret and isinstance(value, str):
        return Secret(value)
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError


def _encode(value: Any) -> Any:
    if isinstance(value, Secret):
        return "**********"
    if isinstance(value, Path):
        return str(value)
    raise NotImplementedError


def _problem(error: msgspec.ValidationError) -> str:
    """msgspec's "… - at `$.server.url`" as "server.url: …"."""
    text = str(error)
    where = ""
    found = re.search(r" - at `\$\.?([^`]*)`$", text)
    if found:
        where, text = found.group(1), text[: found.start()]
    missing = re.match(r"Object missing required field `(\w+)`", text)
    if missing:
        where, text = f"{where}.{missing.group(1)}".lstrip("."), "a required field is missing"
    if "matching regex '^https?://" in text:
        text = "must be an http:// or https:// address"
    return f"{where}: {text}" if where else text


def config_json(config: DriverConfig) -> bytes:
    """The configuration as JSON, secrets masked (for the log header's hash)."""
    return msgspec.json.encode(config, enc_hook=_encode)


def load_config(path: Path) -> DriverConfig:
    """Read and check a driver TOML file; a `DriverConfigError` says what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DriverConfigError(f"cannot read {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise DriverConfigError(f"{path} is not valid TOML: {error}") from error
    try:
        return msgspec.convert(_badge_section(data), DriverConfig, dec_hook=_decode)
    except msgspec.ValidationError as error:
        raise DriverConfigError(f"{path}: {_problem(error)}") from error
