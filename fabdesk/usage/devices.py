"""Driver devices: register one per machine with a token shown once, authenticate, revoke."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from fabdesk.errors import Conflict, NotFound, Unauthenticated
from fabdesk.models import Device, Equipment, id_of
from inventory.lookups import get_item

log = logging.getLogger(__name__)

TOKEN_PREFIX = "fdk_"
_HINT_LENGTH = 10


@dataclass(frozen=True)
class RegisteredDevice:
    """A new device and its token: the only time the token exists outside the driver."""

    device: Device
    equipment_tag: str
    token: str


@dataclass(frozen=True)
class DeviceListing:
    device: Device
    equipment_tag: str


@dataclass(frozen=True)
class AuthenticatedDevice:
    """Who is posting: the device and the one machine it may speak for."""

    device_id: int
    equipment_id: int
    equipment_tag: str
    registered_at: datetime | None = None
    """When the device was registered: an event it says happened before is a wrong clock."""


def hash_token(token: str) -> str:
    """Hex SHA-256 of a token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    """A fresh bearer token: 32 random bytes, URL-safe, with a recognisable prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def register_device(
    session: Session, *, equipment_tag: str, name: str, now: datetime, token: str | None = None
) -> RegisteredDevice:
    """Register a driver for the machine `equipment_tag`; the returned token is shown once.

    `token` is for tests and benchmarks that need a known token; leave it out otherwise. The tag
    is read as the register reads it (`get_item`: any case; a mistyped check character is
    InvalidValue `asset_tag_check`, an unknown tag NotFound `item_not_found`).
    """
    item = get_item(session, equipment_tag)
    token = token or new_token()
    device = Device(
        equipment_id=id_of(item),
        name=name or item.asset_tag,
        token_hash=hash_token(token),
        token_hint=token[:_HINT_LENGTH],
        created_at=now,
    )
    session.add(device)
    session.flush()
    log.info("device_registered", extra={"device_id": device.id, "machine": item.asset_tag})
    return RegisteredDevice(device=device, equipment_tag=item.asset_tag, token=token)


def revoke_device(session: Session, device_id: int, *, now: datetime) -> Device:
    """Revoke a device: its token is refused from now on. Revoking twice is a conflict."""
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound("There is no device {id}.", id=device_id, error_code="device_not_found")
    if device.revoked_at is not None:
        raise Conflict(
            "Device {id} was already revoked.", id=device_id, error_code="device_already_revoked"
        )
    device.revoked_at = now
    session.add(device)
    session.flush()
    log.info("device_revoked", extra={"device_id": device_id})
    return device


def list_devices(
    session: Session, *, include_revoked: bool = True, site_id: int | None = None
) -> list[DeviceListing]:
    """Devices in asset-tag order (only those of `site_id`'s machines when given)."""
    query = (
        select(Device, Equipment.asset_tag)
        .join(Equipment, col(Equipment.id) == col(Device.equipment_id))
        .order_by(col(Equipment.asset_tag), col(Device.id))
    )
    if site_id is not None:
        query = query.where(Equipment.site_id == site_id)
    if not include_revoked:
        query = query.where(col(Device.revoked_at).is_(None))
    return [DeviceListing(device, tag) for device, tag in session.exec(query)]


def authenticate(session: Session, token: str | None) -> AuthenticatedDevice:
    """The active device holding `token`, or Unauthenticated. The token itself is never logged."""
    if not token:
        raise Unauthenticated(
            "A device token is required: send `Authorization: Bearer <token>`.",
            error_code="token_missing",
        )
    digest = hash_token(token)
    row = session.exec(
        select(Device, Equipment.asset_tag)
        .join(Equipment, col(Equipment.id) == col(Device.equipment_id))
        .where(Device.token_hash == digest)
    ).first()
    # The lookup is by hash (a token's hash reveals nothing); compare again in constant time.
    if row is None or not hmac.compare_digest(row[0].token_hash, digest):
        raise Unauthenticated("This device token is not known.", error_code="token_unknown")
    device, tag = row
    if device.revoked_at is not None:
        raise Unauthenticated("This device token was revoked.", error_code="token_revoked")
    return AuthenticatedDevice(
        device_id=id_of(device),
        equipment_id=device.equipment_id,
        equipment_tag=tag,
        registered_at=device.created_at,
    )
