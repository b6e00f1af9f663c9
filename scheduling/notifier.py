"""Messages to people: written to the `notifications` outbox first, then delivered by a notifier.

`enqueue` is idempotent by key (a job that runs twice writes one message). The default notifier
(`OutboxNotifier`) delivers nothing and leaves messages for a manager to read; `SmtpNotifier`
sends them by mail. `deliver_pending` marks what was sent, and records failures to retry.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from fabdesk.models import Booking, Equipment, Maker, Notification, Site, WaitlistEntry
from fabdesk.settings import SmtpSettings
from scheduling import letters

__all__ = [
    "Notifier",
    "OutboxNotifier",
    "SmtpNotifier",
    "deliver_pending",
    "enqueue",
    "enqueue_booking_message",
    "enqueue_letter",
    "enqueue_offer_message",
    "make_notifier",
    "write_letter",
]

log = logging.getLogger(__name__)


class Notifier(Protocol):
    def send(self, message: Notification) -> None:
        """Deliver one message or raise."""


class OutboxNotifier:
    """Leaves every message in the outbox table (the default, and the demo's)."""

    delivers = False

    def send(self, message: Notification) -> None:
        return None


class SmtpNotifier:
    """Sends messages by SMTP."""

    delivers = True

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: Notification) -> None:
        if not message.recipient:
            return
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        with smtplib.SMTP(self.settings.host, self.settings.port, timeout=20) as client:
            if self.settings.starttls:
                client.starttls()
            if self.settings.username:
                client.login(self.settings.username, self.settings.password.get_secret_value())
            client.send_message(mail)


def make_notifier(settings: SmtpSettings) -> OutboxNotifier | SmtpNotifier:
    """SMTP when a host is configured, else the outbox only."""
    return SmtpNotifier(settings) if settings.host else OutboxNotifier()


def enqueue(
    session: Session,
    *,
    key: str,
    kind: str,
    subject: str,
    body: str,
    now: datetime,
    maker_id: int | None = None,
    recipient: str = "",
) -> bool:
    """Write a message to the outbox unless one with `key` is already there; True if written."""
    values = {
        "key": key[:120],
        "kind": kind,
        "maker_id": maker_id,
        "recipient": recipient,
        "subject": subject[:200],
        "body": body,
        "created_at": now,
        "attempts": 0,
        "last_error": "",
    }
    dialect = session.connection().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Notification.__table__.c.id)  # type: ignore[attr-defined]
    )
    # RETURNING, not rowcount: SQLAlchemy reports -1 for this statement on psycopg.
    return session.execute(statement).first() is not None


def enqueue_letter(
    session: Session,
    *,
    key: str,
    kind: str,
    maker_id: int,
    params: Mapping[str, Any],
    timezone: str,
    now: datetime,
    note: str = "",
) -> bool:
    """Write the letter `kind` to a maker (a manager too), in their language, unless `key` was
    written already."""
    maker = session.get(Maker, maker_id)
    return write_letter(
        session,
        key=key,
        kind=kind,
        language=maker.language if maker is not None else "en",
        recipient=maker.email if maker is not None else "",
        params=params,
        timezone=timezone,
        now=now,
        maker_id=maker_id,
        note=note,
    )


def write_letter(
    session: Session,
    *,
    key: str,
    kind: str,
    language: str,
    recipient: str,
    params: Mapping[str, Any],
    timezone: str,
    now: datetime,
    maker_id: int | None = None,
    note: str = "",
) -> bool:
    """Write the letter `kind` in `language` to `recipient` (an address with no maker behind it,
    such as the managers' desk, or a maker's) unless `key` was written already."""
    subject, body = letters.render(kind, language, params, timezone=timezone, note=note)
    return enqueue(
        session,
        key=key,
        kind=kind,
        subject=subject,
        body=body,
        now=now,
        maker_id=maker_id,
        recipient=recipient,
    )


def enqueue_booking_message(
    session: Session,
    booking: Booking,
    *,
    machine_name: str,
    timezone: str,
    kind: str,
    now: datetime,
    reason: str = "",
) -> bool:
    """A letter about one booking (reminder, cancellation by an outage, maintenance)."""
    return enqueue_letter(
        session,
        key=f"{kind}:{booking.id}",
        kind=kind,
        maker_id=booking.maker_id,
        params={
            "machine": machine_name,
            "starts": booking.starts_at,
            "ends": booking.ends_at,
            "reason": reason,
        },
        timezone=timezone,
        now=now,
    )


def enqueue_offer_message(session: Session, entry: WaitlistEntry, *, now: datetime) -> bool:
    name, timezone = session.exec(
        select(Equipment.name, Site.timezone)
        .join(Site, col(Site.id) == Equipment.site_id)
        .where(Equipment.id == entry.equipment_id)
    ).one()  # every machine has a site: its zone, never a guess
    expires = entry.offer_expires_at or now
    return enqueue_letter(
        session,
        key=f"waitlist_offer:{entry.id}:{expires.isoformat()}",
        kind="waitlist_offer",
        maker_id=entry.maker_id,
        params={
            "machine": name,
            "starts": entry.starts_at,
            "ends": entry.ends_at,
            "expires": expires,
        },
        timezone=timezone,
        now=now,
    )


def deliver_pending(
    session: Session, notifier: Notifier, now: datetime, *, limit: int = 100
) -> int:
    """Send unsent messages (oldest first) through `notifier`; returns how many were sent."""
    if not getattr(notifier, "delivers", True):
        return 0
    pending = session.exec(
        select(Notification)
        .where(col(Notification.sent_at).is_(None), col(Notification.attempts) < 10)
        .order_by(col(Notification.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    sent = 0
    for message in pending:
        message.attempts += 1
        try:
            notifier.send(message)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = str(error)[:400]
            log.warning("notification_failed", extra={"notification_id": message.id})
        else:
            message.sent_at = now
            sent += 1
        session.add(message)
    session.flush()
    return sent
