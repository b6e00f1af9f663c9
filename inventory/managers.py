"""Manager identities (a maker flagged manager, who proves it at a kiosk with a badge and a PIN),
and the manager's machine tasks that span the cadastre and the bookings.

The PIN is kept as an scrypt hash with its own salt. Wrong PINs in a row are counted; after
`MAX_ATTEMPTS` the PIN is locked for `LOCK_MINUTES`; each refusal says how many tries are left, and
the last one says the lock. A login writes that counter whatever its outcome, so `log_in` returns a
`ManagerLogin` (committed by the caller, in a serialised write transaction: `write_session`) whose
`raise_for_refusal` raises the refusal afterwards, outside the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from fabdesk.actors import Actor
from fabdesk.errors import AccessDenied, Conflict, FabdeskError, InvalidValue, NotFound
from fabdesk.models import EquipmentStatus, Maker, ManagerCredential, Site, id_of
from fabdesk.settings import SchedulerSettings
from inventory.lookups import get_site
from inventory.makers import find_by_badge

MAX_ATTEMPTS = 5
"""Wrong PINs in a row that lock the PIN."""
LOCK_MINUTES = 5
"""How long a locked PIN stays locked."""
PIN_DIGITS = (4, 8)
"""Shortest and longest PIN, in digits."""

# scrypt cost: n=2**14, r=8, p=1 takes ~40 ms and 16 MiB, fine for a person typing a PIN.
_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True)
class ManagerLogin:
    """The outcome of a login: the manager (when accepted) or the refusal to raise."""

    maker_id: int | None
    name: str
    language: str
    refusal: FabdeskError | None = None

    def raise_for_refusal(self) -> None:
        if self.refusal is not None:
            raise self.refusal


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """The scrypt hash of `pin` as stored: `scrypt$n$r$p$salt$hash` (hex)."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether `pin` hashes to `stored` (compared in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


def _check_pin_format(pin: str) -> None:
    shortest, longest = PIN_DIGITS
    if not (pin.isascii() and pin.isdigit() and shortest <= len(pin) <= longest):
        raise InvalidValue(
            "A PIN is {shortest} to {longest} digits.",
            shortest=shortest,
            longest=longest,
            error_code="pin_format",
        )


def set_pin(
    session: Session,
    maker: Maker,
    pin: str,
    *,
    site_code: str | None = None,
    salt: bytes | None = None,
) -> ManagerCredential:
    """Make `maker` a manager with this PIN, or change their PIN (which also unlocks it).

    With `site_code` the manager manages that site only; without, every site (a network admin).
    The salt is random unless given (tests fix it).
    """
    _check_pin_format(pin)
    site_id = id_of(get_site(session, site_code)) if site_code is not None else None
    credential = session.get(ManagerCredential, id_of(maker))
    if credential is None:
        credential = ManagerCredential(maker_id=id_of(maker), pin_hash="")
    credential.site_id = site_id
    credential.pin_hash = hash_pin(pin, salt=salt)
    credential.failed_attempts = 0
    credential.locked_until = None
    session.add(credential)
    session.flush()
    return credential


def revoke_manager(session: Session, maker: Maker) -> None:
    """Take the manager role away from `maker` (nothing happens if they had none)."""
    credential = session.get(ManagerCredential, id_of(maker))
    if credential is not None:
        session.delete(credential)
        session.flush()


def is_manager(session: Session, maker: Maker) -> bool:
    return session.get(ManagerCredential, id_of(maker)) is not None


def log_in(
    session: Session, scanned: str, pin: str, *, now: datetime, site_code: str | None = None
) -> ManagerLogin:
    """Check a manager's badge (or member number) and PIN at `now` (aware), at the kiosk of
    `site_code`: a manager of another site is refused there (a network admin is not).

    Unknown badges raise NotFound at once. Otherwise the outcome is returned with the attempt
    counted; call `raise_for_refusal()` on it after committing.
    """
    maker = find_by_badge(session, scanned)
    credential = session.get(ManagerCredential, id_of(maker))
    if credential is None:
        raise NotFound("This badge does not belong to a manager.", error_code="not_a_manager")

    def refused(error: FabdeskError) -> ManagerLogin:
        return ManagerLogin(None, "", maker.language, refusal=error)

    if credential.locked_until is not None and now < credential.locked_until:
        minutes = max(1, -(-int((credential.locked_until - now).total_seconds()) // 60))
        return refused(
            Conflict(
                "Too many wrong PINs: try again in {minutes} minutes.",
                minutes=minutes,
                error_code="pin_locked",
            )
        )
    if not pin_matches(pin, credential.pin_hash):
        credential.failed_attempts += 1
        tries_left = MAX_ATTEMPTS - credential.failed_attempts
        if tries_left <= 0:
            credential.failed_attempts = 0
            credential.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        session.add(credential)
        session.flush()
        if tries_left <= 0:  # the lock is said when it falls, not at the next try
            return refused(
                Conflict(
                    "Wrong PIN. The PIN is now locked for {minutes} minutes.",
                    minutes=LOCK_MINUTES,
                    error_code="pin_locked",
                )
            )
        return refused(
            InvalidValue(
                "Wrong PIN. Tries left before the PIN locks: {tries}.",
                tries=tries_left,
                error_code="pin_wrong",
            )
        )
    credential.failed_attempts = 0
    credential.locked_until = None
    session.add(credential)
    session.flush()
    if site_code is not None and credential.site_id is not None:
        managed = session.get(Site, credential.site_id)
        if managed is not None and managed.code != site_code:
            return refused(
                AccessDenied(
                    "You manage {site} only: log in at one of its kiosks.",
                    site=managed.name,
                    error_code="manager_other_site",
                )
            )
    return ManagerLogin(id_of(maker), maker.name, maker.language)


def put_out_of_order(
    session: Session,
    asset_tag: str,
    *,
    reason: str,
    actor: Actor,
    now: datetime,
    settings: SchedulerSettings,
) -> int:
    """A manager's "out of order": the item's status changes (with the reason in its history),
    and every booking of it that has not ended is cancelled, its maker told through the
    notifier's outbox. Returns how many bookings were cancelled."""
    from inventory.register import change_status
    from scheduling.releases import cancel_bookings_for_outage

    item = change_status(
        session, asset_tag, EquipmentStatus.OUT_OF_ORDER, reason=reason, actor=actor, now=now
    )
    return len(cancel_bookings_for_outage(session, id_of(item), reason, now, settings))


def put_back_in_service(session: Session, asset_tag: str, *, actor: Actor, now: datetime) -> None:
    """The item works again (its bookings were cancelled when it broke; nothing to restore)."""
    from inventory.register import change_status

    change_status(
        session, asset_tag, EquipmentStatus.IN_SERVICE, reason="back in service", actor=actor,
        now=now,
    )  # fmt: skip
