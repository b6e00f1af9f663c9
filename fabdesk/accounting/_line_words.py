"""What a statement's line is, in words: its kind, and a description made from what its
transaction is (its kind and references), said in the reader's language when a document is
made; never the memo the ledger stored in English (docs/messages.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from fabdesk.i18n import N_
from fabdesk.models import Booking, TransactionKind

__all__ = ["KINDS", "REVERSES", "missed_slots", "what_line_is"]

KINDS: dict[str, str] = {
    TransactionKind.CHARGE: N_("charge"),
    TransactionKind.REVERSAL: N_("reversal"),
    TransactionKind.CHEQUE_ISSUE: N_("cheque_issue"),
    TransactionKind.CHEQUE_EXPIRY: N_("cheque_expiry"),
    TransactionKind.PAYMENT: N_("payment"),
    TransactionKind.MATERIAL_SALE: N_("material_sale"),
}
"""Each line's kind: its value in a CSV, a word in the reader's language in a PDF (the English
catalogue says "material sale" for `material_sale`)."""
REVERSES: dict[str, str] = {
    TransactionKind.CHARGE: N_("reverses the charge of {day}"),
    TransactionKind.MATERIAL_SALE: N_("reverses the material sale of {day}"),
}
"""What a reversal says, by the kind of what it reverses."""

_BOOKINGS = Booking.__table__  # type: ignore[attr-defined]


def what_line_is(
    kind: str,
    *,
    key: str,
    machine: str | None,
    minutes: int,
    organisation: str | None,
    units: int | None,
    material: str | None,
    reversed_kind: str | None,
    reversed_day: date | None,
    missed: tuple[str, str] | None,
) -> tuple[str, dict[str, str | date]]:
    """What a line is, as a msgid and its values: the machine and minutes of a usage charge
    (and the organisation it is billed to), the booked slot (`HH:MM`, local) of a missed
    booking, the bank's reference of a payment (its idempotency key), the units and material of
    a sale, the day of what a reversal reverses."""
    if kind == TransactionKind.REVERSAL:
        return REVERSES.get(reversed_kind or "", N_("reverses the line of {day}")), {
            "day": reversed_day or ""
        }
    if kind == TransactionKind.PAYMENT:
        return N_("payment {reference}"), {"reference": key.removeprefix("payment:")}
    if kind == TransactionKind.MATERIAL_SALE:
        return "{units} x {material}", {"units": str(units), "material": material or ""}
    used: dict[str, str | date] = {"machine": machine or "", "minutes": str(minutes)}
    if missed is not None:
        start, end = missed
        return N_("missed booking {machine} {start}-{end}"), {
            "machine": machine or "", "start": start, "end": end,
        }  # fmt: skip
    if kind == TransactionKind.CHARGE and organisation:
        return N_("{machine} {minutes} min for {organisation}"), used | {
            "organisation": organisation
        }
    if kind == TransactionKind.CHARGE:
        return "{machine} {minutes} min", used
    return KINDS.get(kind, kind), {}


def missed_slots(session: Session, keys: Sequence[str]) -> dict[str, tuple[datetime, datetime]]:
    """The booked slot of each missed booking's charge among `keys` (`missed:<booking id>`)."""
    ids = {int(key.removeprefix("missed:")): key for key in keys if key.startswith("missed:")}
    if not ids:
        return {}
    found = session.execute(
        sa.select(_BOOKINGS.c.id, _BOOKINGS.c.starts_at, _BOOKINGS.c.ends_at).where(
            _BOOKINGS.c.id.in_(list(ids))
        )
    ).all()
    return {ids[booking]: (start, end) for booking, start, end in found}
