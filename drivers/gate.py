"""The gate: a badge at the machine -> ask the server -> allow or refuse (or decide alone).

`Gate.present(badge)` asks `POST /api/v1/badge`; when the server cannot be reached it decides
from the machine's allow-list (`GET /api/v1/allow-list`, refreshed every few minutes and as soon
as the server answers again, kept in the outbox so it survives a restart). Every decision is
logged (maker id, never the badge), shown through the optional hook (a small display, a
buzzer) and, when allowed, powers the interlock and names the maker of the next session: the
session_started event that follows within `validity` carries the badge (and, when decided
alone, `offline_decision`, which the server checks again). See docs/badges.md.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from drivers.interlock import Interlock
from drivers.outbox import Outbox
from drivers.wire import ALLOW, AllowList, BadgeAnswer, BadgeQuestion, WireError, badge_digest

log = logging.getLogger(__name__)

BADGE_PATH = "/api/v1/badge"
ALLOW_LIST_PATH = "/api/v1/allow-list"
ALLOW_LIST_KEY = "allow_list"
ASK_TIMEOUT_SECONDS = 3.0
"""A maker waits at the machine: past this the driver decides from its allow-list."""

OFFLINE_MESSAGES = {
    ALLOW: "Allowed (decided by the machine: the server is unreachable).",
    "allow_list_missing": "The server is unreachable and this machine has no allow-list yet.",
    "badge_unknown": "This badge is not known here.",
    "machine_unavailable": "The machine is not in service.",
    "machine_to_check": "The machine must be checked after its last use.",
    "not_certified": "No valid certification for this machine.",
    "training_lapsed": "The training lapsed for want of use.",
    "maker_suspended": "Bookings are suspended.",
    "machine_booked": "The machine is booked by someone else.",
    "walk_in_not_allowed": "The machine must be booked before it is used.",
}
"""Offline sentences (English: the catalogues stay on the server); the code is what counts."""


@dataclass(frozen=True)
class Verdict:
    result: str
    maker_id: int | None
    message: str
    offline: bool
    until: datetime | None = None
    """When the use's right ends (its booking's end); None with `bypass` or unknown."""
    bypass: bool = False

    @property
    def allowed(self) -> bool:
        return self.result == ALLOW


def decide_offline(
    allowed: AllowList | None, badge: str, now: datetime, *, walk_in: timedelta
) -> Verdict:
    """The server's rules, as far as the allow-list tells them (docs/refusals.md)."""

    def verdict(result: str, maker_id: int | None = None, **more: object) -> Verdict:
        return Verdict(result, maker_id, OFFLINE_MESSAGES[result], True, **more)  # type: ignore[arg-type]  # until, bypass

    if allowed is None:
        return verdict("allow_list_missing")
    digest = badge_digest(allowed.salt, badge)
    entry = next((b for b in allowed.badges if b.badge_hash == digest), None)
    if entry is None:
        return verdict("badge_unknown")
    who = entry.maker_id
    if entry.manager:
        return verdict(ALLOW, who, bypass=True)
    if allowed.machine_status != "in_service":
        return verdict(
            "machine_to_check" if allowed.machine_status == "to_check" else "machine_unavailable",
            who,
        )
    today = now.astimezone(ZoneInfo(allowed.timezone)).date()
    if entry.expires_on is not None and entry.expires_on < today:
        return verdict("not_certified", who)
    if entry.lapses_on is not None and entry.lapses_on <= today:
        return verdict("training_lapsed", who)
    if entry.suspended_until is not None and entry.suspended_until > now:
        return verdict("maker_suspended", who)
    running = next((b for b in allowed.bookings if b.starts_at <= now < b.ends_at), None)
    if running is not None:
        if running.maker_id != who:
            return verdict("machine_booked", who)
        return verdict(ALLOW, who, until=running.ends_at)
    if not allowed.walk_ins:
        return verdict("walk_in_not_allowed", who)
    upcoming = [b.starts_at for b in allowed.bookings if b.starts_at > now]
    return verdict(ALLOW, who, until=min([now + walk_in, *upcoming]))


@dataclass(frozen=True)
class Holder:
    badge: str
    verdict: Verdict
    at: datetime


class Gate:
    """Badge decisions for one machine; safe to call from the reader and the machine threads."""

    def __init__(
        self,
        client: httpx.Client,
        outbox: Outbox,
        *,
        clock: Callable[[], datetime],
        validity: timedelta,
        walk_in: timedelta,
        refresh_seconds: float,
        interlock: Interlock | None = None,
        hook: Sequence[str] = (),
    ) -> None:
        self.client = client
        self.outbox = outbox
        self.clock = clock
        self.validity = validity
        self.walk_in = walk_in
        self.refresh_seconds = refresh_seconds
        self.interlock = interlock
        self.hook = list(hook)
        self.holder: Holder | None = None
        self._lock = threading.Lock()
        self._allow_list = self._saved_allow_list()
        self._server_down = False

    def _saved_allow_list(self) -> AllowList | None:
        saved = self.outbox.get_state(ALLOW_LIST_KEY)
        try:
            return AllowList.model_validate(saved) if saved else None
        except WireError:
            return None

    # --- the server ------------------------------------------------------------------------
    def _ask(self, badge: str, now: datetime) -> Verdict | None:
        body = BadgeQuestion(badge=badge, device_time=now).model_dump_json()
        try:
            response = self.client.post(
                BADGE_PATH,
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=ASK_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as error:
            self._down(type(error).__name__)
            return None
        if response.status_code != 200:
            self._down(f"http {response.status_code}")
            return None
        try:
            answer = BadgeAnswer.model_validate_json(response.content)
        except WireError:
            self._down("bad answer")
            return None
        self._up()
        return Verdict(
            answer.result,
            answer.maker_id,
            answer.message,
            False,
            until=answer.ends_at,
            bypass=answer.bypass,
        )

    def _down(self, reason: str) -> None:
        if not self._server_down:
            log.warning("badge_server_unreachable reason=%s: deciding from the allow-list", reason)
        self._server_down = True

    def _up(self) -> None:
        if self._server_down:
            log.warning("badge_server_reachable_again")
            self._server_down = False
            threading.Thread(target=self.refresh, name="allow-list", daemon=True).start()

    def refresh(self) -> bool:
        """Fetch the allow-list now; keep it (memory and outbox). False when it failed."""
        try:
            response = self.client.get(ALLOW_LIST_PATH)
            if response.status_code != 200:
                return False
            fresh = AllowList.model_validate_json(response.content)
        except (httpx.HTTPError, WireError) as error:
            log.debug("allow_list_refresh_failed reason=%s", type(error).__name__)
            return False
        with self._lock:
            self._allow_list = fresh
        self.outbox.append([], state={ALLOW_LIST_KEY: fresh.model_dump(mode="json")})
        log.info("allow_list_refreshed badges=%d", len(fresh.badges))
        return True

    def run_refresh(self, stop: threading.Event) -> None:
        """Refresh every `refresh_seconds`; after a failure, every 30 s until it works."""
        while not stop.is_set():
            ok = self.refresh()
            stop.wait(self.refresh_seconds if ok else min(30.0, self.refresh_seconds))

    # --- a badge -----------------------------------------------------------------------------
    def present(self, badge: str) -> Verdict | None:
        """A badge was read. None: it was the holder's badge-out."""
        now = self.clock()
        if self.interlock is not None and self.interlock.badge_out(badge):
            log.info("badge_out maker_id=%s", self.holder.verdict.maker_id if self.holder else None)
            with self._lock:
                self.holder = None
            self._show("badge_out", "Badge-out: the machine switches off when it is idle.")
            return None
        verdict = self._ask(badge, now)
        if verdict is None:
            with self._lock:
                allowed = self._allow_list
            verdict = decide_offline(allowed, badge, now, walk_in=self.walk_in)
        log.info(
            "badge_decision result=%s maker_id=%s offline=%s bypass=%s",
            verdict.result,
            verdict.maker_id,
            verdict.offline,
            verdict.bypass,
        )
        self._show(verdict.result, verdict.message)
        if verdict.allowed:
            with self._lock:
                self.holder = Holder(badge, verdict, now)
            if self.interlock is not None:
                self.interlock.grant(badge, None if verdict.bypass else verdict.until)
        return verdict

    def _show(self, result: str, message: str) -> None:
        """Run the display/buzzer hook in the background: a slow display never holds a badge."""
        if self.hook:
            command = [*self.hook, result, message]
            threading.Thread(target=_run_hook, args=(command,), daemon=True).start()

    def session_badge(self, now: datetime) -> tuple[str, str | None] | None:
        """The badge (and offline decision) a session starting at `now` belongs to, if any:
        allowed within `validity` before, or holding the interlock."""
        with self._lock:
            holder = self.holder
        if holder is None:
            return None
        holding = self.interlock is not None and self.interlock.holder == holder.badge
        if not holding and now - holder.at > self.validity:
            return None
        return holder.badge, (holder.verdict.result if holder.verdict.offline else None)

    def tick(self, now: datetime, *, busy: bool) -> None:
        if self.interlock is not None:
            self.interlock.tick(now, busy=busy)


def _run_hook(command: list[str]) -> None:
    try:
        subprocess.run(command, stdin=subprocess.DEVNULL, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("badge_hook_failed reason=%s", type(error).__name__)
