"""The driver's TOML configuration (pydantic): the server, the machine and its link, the outbox.

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

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    model_validator,
)

from drivers.errors import DriverConfigError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerConfig(Section):
    url: HttpUrl
    """The fabdesk server's base URL; the driver posts to `{url}/api/v1/ingest`."""
    token: SecretStr
    """This machine's device token (a token belongs to one machine)."""
    timeout_seconds: float = Field(10.0, gt=0)
    batch_events: int = Field(200, ge=1, le=500)
    """Events per batch at most (the server takes 500)."""
    heartbeat_seconds: float = Field(60.0, gt=0)
    """How often the driver tells the server the machine's state and its outbox backlog."""
    backoff_max_seconds: float = Field(300.0, gt=0)
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
    poll_seconds: float = Field(1.0, gt=0)
    """Time between two status polls."""
    reconnect_max_seconds: float = Field(30.0, gt=0)
    progress_seconds: float = Field(60.0, gt=0)
    """How often an open session reports its progress (also its last known time after a crash)."""


class GrblConfig(SerialMachine):
    kind: Literal["grbl"] = "grbl"
    poll_seconds: float = Field(0.2, gt=0)
    idle_grace_seconds: float = Field(5.0, ge=0)
    """A job ends when the machine stays Idle this long (senders pause between files)."""
    banner_seconds: float = Field(3.0, gt=0)
    bridge: BridgeConfig = BridgeConfig()


class MarlinConfig(SerialMachine):
    kind: Literal["marlin"] = "marlin"
    poll_seconds: float = Field(2.0, gt=0)


class MeterConfig(SerialMachine):
    kind: Literal["meter"] = "meter"
    baudrate: int = 9600
    idle_grace_seconds: float = Field(0.0, ge=0)


class OctoPrintConfig(Section):
    kind: Literal["octoprint"] = "octoprint"
    url: HttpUrl
    api_key: SecretStr
    poll_seconds: float = Field(2.0, gt=0)
    reconnect_max_seconds: float = Field(30.0, gt=0)
    progress_seconds: float = Field(60.0, gt=0)
    filament_diameter_mm: float = Field(1.75, gt=0)
    filament_density_g_cm3: float = Field(1.24, gt=0)
    """PLA 1.24, PETG 1.27, ABS 1.04."""
    lost_contact_seconds: float = Field(900.0, gt=0)
    """An open print with OctoPrint unreachable this long is closed as interrupted."""


MachineConfig = Annotated[
    GrblConfig | MarlinConfig | MeterConfig | OctoPrintConfig, Field(discriminator="kind")
]


class KeyboardReaderConfig(Section):
    reader: Literal["keyboard"] = "keyboard"
    device: str
    """The reader's input device; use its stable name under `/dev/input/by-id/`."""


class Rdm6300ReaderConfig(Section):
    reader: Literal["rdm6300"] = "rdm6300"
    port: str
    """A device path (`/dev/serial0`, a udev name) or a pyserial URL."""
    baudrate: int = 9600
    format: Literal["hex", "decimal"] = "hex"
    """How a card reads: 10 hex digits, or the 10-digit decimal number keyboard readers type."""


class GpioInterlockConfig(Section):
    kind: Literal["gpio"] = "gpio"
    pin: int = Field(ge=0, le=53)
    """BCM pin number of the relay's input."""
    active_high: bool = True
    grace_minutes: float = Field(10.0, ge=0)
    """After the booking's end the machine stays powered this long (never cut mid-job)."""


class ShellyInterlockConfig(Section):
    kind: Literal["shelly"] = "shelly"
    url: HttpUrl
    """The plug's local address, e.g. `http://192.168.1.50`."""
    generation: Literal[1, 2] = 1
    """1: `/relay/0?turn=on`; 2 and later (Plus, Pro): `/rpc/Switch.Set`."""
    channel: int = Field(0, ge=0)
    grace_minutes: float = Field(10.0, ge=0)


InterlockConfig = Annotated[
    GpioInterlockConfig | ShellyInterlockConfig, Field(discriminator="kind")
]


class BadgeConfig(Section):
    reader: Annotated[KeyboardReaderConfig | Rdm6300ReaderConfig, Field(discriminator="reader")]
    validity_seconds: float = Field(300.0, gt=0)
    """A session that starts this long after an allowed badge is that maker's."""
    repeat_seconds: float = Field(2.0, ge=0)
    """The same badge again within this time is one presentation (a card left on the reader)."""
    allow_list_refresh_seconds: float = Field(300.0, ge=10)
    offline_walk_in_minutes: float = Field(60.0, gt=0)
    """Decided alone, a walk-in's right lasts this long (or until the next booking)."""
    on_decision: list[str] = []
    """A command run at each decision with two more arguments, the result and the sentence:
    a small display or a buzzer (e.g. `["/usr/local/bin/fabdesk-show"]`)."""
    interlock: InterlockConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _reader_fields(cls, data: Any) -> Any:
        """The reader's fields sit in `[badge]` itself: move them into `reader`."""
        if isinstance(data, dict) and not isinstance(data.get("reader"), dict):
            own = set(cls.model_fields) - {"reader"}
            reader = {k: v for k, v in data.items() if k not in own}
            data = {k: v for k, v in data.items() if k in own} | {"reader": reader}
        return data


class OutboxConfig(Section):
    path: Path = Path("/var/lib/fabdesk-driver/outbox.db")
    max_events: int = Field(100_000, ge=100)


class LogConfig(Section):
    path: Path | None = None
    """A rotating log file; without it, logs go to stderr (journald on the Pi)."""
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class DriverConfig(Section):
    server: ServerConfig
    machine: MachineConfig
    outbox: OutboxConfig = OutboxConfig()
    log: LogConfig = LogConfig()
    badge: BadgeConfig | None = None


def load_config(path: Path) -> DriverConfig:
    """Read and check a driver TOML file; a `DriverConfigError` says what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DriverConfigError(f"cannot read {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise DriverConfigError(f"{path} is not valid TOML: {error}") from error
    try:
        return DriverConfig.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise DriverConfigError(f"{path}: {problems}") from error
