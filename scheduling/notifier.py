"""Messages to people: written to the `notifications` outbox first, then delivered by a notifier.

`enqueue` is idempotent by key (a job that runs twice writes one message). The default notifier
(`OutboxNotifier`) delivers nothing and leaves messages for a manager to read; `SmtpNotifier`
sends them by mail. `deliver_pending` marks what was sent, and records failures to retry.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from fabdesk.models import Booking, Equipment, Maker, Notification, Site, WaitlistEntry
from fabdesk.settings import SmtpSettings
from scheduling.rules import local_iso

__all__ = [
    "Notifier",
    "OutboxNotifier",
    "SmtpNotifier",
    "deliver_pending",
    "enqueue",
    "enqueue_booking_message",
    "enqueue_offer_message",
    "make_notifier",
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


def _email_of(session: Session, maker_id: int) -> str:
    maker = session.get(Maker, maker_id)
    return maker.email if maker is not None else ""


_BOOKING_SUBJECTS = {
    "booking_reminder": "Reminder: {machine} at {starts_at}",
    "booking_cancelled_outage": "Cancelled: {machine} at {starts_at}",
}


def enqueue_booking_message(
    session: Session,
    booking: Booking,
    *,
    machine_name: str,
    timezone: str,
    kind: str,
    now: datetime,
    extra: str = "",
) -> bool:
    """A message about one booking (reminder, cancellation because of an outage)."""
    starts_at = local_iso(booking.starts_at, timezone)
    subject = _BOOKING_SUBJECTS.get(kind, "{machine} at {starts_at}").format(
        machine=machine_name, starts_at=starts_at
    )
    body = (
        f"Booking {booking.id}: {machine_name} from {starts_at} "
        f"to {local_iso(booking.ends_at, timezone)}."
    )
    if extra:
        body += f"\n{extra}"
    return enqueue(
        session,
        key=f"{kind}:{booking.id}",
        kind=kind,
        subject=subject,
        body=body,
        now=now,
        maker_id=booking.maker_id,
        recipient=_email_of(session, booking.maker_id),
    )


def enqueue_offer_message(session: Session, entry: WaitlistEntry, *, now: datetime) -> bool:
    row = session.exec(
        select(Equipment.name, Site.timezone)
        .join(Site, col(Site.id) == Equipment.site_id)
        .where(Equipment.id == entry.equipment_id)
    ).first()
    name, timezone = row if row is not None else ("machine", "Europe/Brussels")
    expires = local_iso(entry.offer_expires_at or now, timezone)
    return enqueue(
        session,
        key=f"waitlist_offer:{entry.id}:{expires}",
        kind="waitlist_offer",
        subject=f"{name} is free at {local_iso(entry.starts_at, timezone)}",
        body=(
            f"The time you waited for on {name} ({local_iso(entry.starts_at, timezone)} to "
            f"{local_iso(entry.ends_at, timezone)}) is free. Confirm before {expires} at the kiosk."
        ),
        now=now,
        maker_id=entry.maker_id,
        recipient=_email_of(session, entry.maker_id),
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
