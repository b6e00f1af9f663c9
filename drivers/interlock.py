"""The interlock: a relay that powers the machine only for a maker the badge check allowed.

Relays: a GPIO pin driving a relay board (gpiozero's `OutputDevice`), or a network relay such
as a Shelly plug through its local HTTP API (Gen1 `GET /relay/0?turn=on`, Gen2+
`GET /rpc/Switch.Set?id=0&on=true`), as FabAccess labs use. The interlock switches on when a
badge is allowed, and off at the end of the maker's booking plus a grace period, or when the
same badge is presented again (badge-out). **It never cuts a job**: while the machine is busy
the switch-off waits for it to be idle. A manager's badge (bypass) keeps it on until they badge
out. A relay that fails to switch is tried again at every tick, logged once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from drivers.errors import DriverError

log = logging.getLogger(__name__)


class RelayError(DriverError):
    code = "relay"


class Relay(Protocol):
    def switch(self, on: bool) -> None: ...
    def close(self) -> None: ...


class GpioRelay:
    """A relay board on a GPIO pin (BCM numbering). `pin_factory` is gpiozero's (tests give its
    MockFactory; on the Pi gpiozero picks lgpio)."""

    def __init__(self, pin: int, *, active_high: bool = True, pin_factory: Any = None) -> None:
        from gpiozero import OutputDevice  # only on Pis with a GPIO relay

        self.device = OutputDevice(
            pin, active_high=active_high, initial_value=False, pin_factory=pin_factory
        )

    def switch(self, on: bool) -> None:
        if on:
            self.device.on()
        else:
            self.device.off()

    def close(self) -> None:
        self.device.close()


class ShellyRelay:
    """A Shelly plug or relay on the lab's network, through its local HTTP API."""

    def __init__(self, client: httpx.Client, *, generation: int = 1, channel: int = 0) -> None:
        self.client, self.generation, self.channel = client, generation, channel

    def switch(self, on: bool) -> None:
        if self.generation == 1:
            path, params = f"/relay/{self.channel}", {"turn": "on" if on else "off"}
        else:
            path, params = "/rpc/Switch.Set", {"id": str(self.channel), "on": str(on).lower()}
        try:
            response = self.client.get(path, params=params)
        except httpx.HTTPError as error:
            raise RelayError(f"relay unreachable: {type(error).__name__}") from error
        if response.status_code != 200:
            raise RelayError(f"relay answered {response.status_code}")

    def close(self) -> None:
        self.client.close()


def make_shelly_client(url: str, timeout: float = 3.0) -> httpx.Client:
    return httpx.Client(base_url=url.rstrip("/"), timeout=timeout)


class Interlock:
    """Who holds the machine's power, until when; switches the relay (see the module docstring)."""

    def __init__(self, relay: Relay, *, grace: timedelta) -> None:
        self.relay = relay
        self.grace = grace
        self.holder: str | None = None
        self.until: datetime | None = None
        """When the power goes off (the booking's end plus the grace); None: at badge-out."""
        self.powered = False
        self._off_requested = False
        self._waiting_logged = False
        self._relay_failing = False

    def grant(self, badge: str, until: datetime | None) -> None:
        """Power the machine for `badge` (until `until` + grace; None: until badge-out)."""
        self.holder, self._off_requested = badge, False
        self.until = until + self.grace if until is not None else None
        self._switch(True)

    def badge_out(self, badge: str) -> bool:
        """The holder presented their badge again: switch off (once the machine is idle)."""
        if self.holder != badge or not self.powered:
            return False
        self._off_requested = True
        return True

    def tick(self, now: datetime, *, busy: bool) -> None:
        """Called at every poll: switch off when due and idle; retry a relay that failed."""
        due = self._off_requested or (self.until is not None and now >= self.until)
        if self.holder is not None and due:
            if busy:
                if not self._waiting_logged:
                    log.info("interlock_waiting_for_idle: a job is running, power stays on")
                    self._waiting_logged = True
                return
            log.info("interlock_off reason=%s", "badge_out" if self._off_requested else "ended")
            self.holder, self.until, self._off_requested = None, None, False
            self._waiting_logged = False
            self._switch(False)
        elif self._relay_failing:
            self._switch(self.holder is not None)

    def _switch(self, on: bool) -> None:
        try:
            self.relay.switch(on)
        except (RelayError, OSError) as error:
            if not self._relay_failing:
                log.error("interlock_relay_failed on=%s reason=%s: retrying", on, error)
            self._relay_failing = True
            return
        if self._relay_failing:
            log.warning("interlock_relay_recovered")
        self._relay_failing = False
        self.powered = on
