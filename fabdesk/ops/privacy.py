"""Makers' data (GDPR): everything held about a maker, and erasure that keeps the books.

Export follows the foreign keys: the maker's row, then every row of every table that points at
the maker, so a table added later is exported without anyone remembering to. Erasure is explicit
instead: each such table has a policy here (keep for the accounts the law requires, or delete), and
a table without one stops the erasure, so nobody erases half a person.
"""

from __future__ import annotations

import enum
import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.errors import Conflict
from fabdesk.models import LedgerAccount, Maker, id_of, load_all
from fabdesk.models.ledger import AccountKind
from inventory.makers import get_maker

log = logging.getLogger(__name__)

ERASED_NAME = "Erased maker"

Policy = Literal["keep", "delete"]

ERASURE_POLICY: dict[str, Policy] = {
    # Kept: accounting and usage records (amounts, dates, machines), which point at the maker's
    # row only by id; once that row is pseudonymised, nothing in them names a person.
    "bookings": "keep",
    "usage_sessions": "keep",
    "usage_charges": "keep",
    "ledger_transactions": "keep",
    "cheques": "keep",
    # Deleted: nothing the books need, and they may hold contact details or preferences.
    "certifications": "delete",
    "waitlist_entries": "delete",
    "maker_suspensions": "delete",
    "notifications": "delete",
    "calendar_tokens": "delete",
    "investor_members": "delete",
    "manager_credentials": "delete",
    # peers (issue 10): a dispute is part of the books; problem reports and trainings given stay
    # for the machines' and trainings' history; trainer rights and enrolments go.
    "charge_disputes": "keep",
    "problem_reports": "keep",
    "training_sessions": "keep",
    "trainer_rights": "delete",
    "training_enrolments": "delete",
    # accounting 2: a desk sale is part of the books; the link to a paying organisation goes.
    "material_sales": "keep",
    "organisation_members": "delete",
    # the maker API (issue 16): a phone's access tokens go.
    "maker_tokens": "delete",
    # hardening (issue 18): what a manager did stays in the audit log, by id only; their API
    # tokens go.
    "manager_actions": "keep",
    "manager_tokens": "delete",
    # badges at the machine (issue 15): who badged where is not the books: it goes.
    "badge_decisions": "delete",
    # invoices (issue 17): the books a lab must keep (Belgium: 7 years); the person behind them
    # is pseudonymised with the maker row.
    "invoices": "keep",
    # who changed an item, recorded a maintenance, opened or closed an audit (issue 18): the
    # register's history, by id only.
    "equipment_events": "keep",
    "maintenance_records": "keep",
    "audits": "keep",
}
"""What erasure does to each table that points at a maker."""

SECRET_COLUMNS = frozenset(
    {
        "manager_credentials.pin_hash",
        "manager_tokens.token_hash",
        "maker_tokens.token_hash",
        "calendar_tokens.token",
    }
)
"""Credentials, left out of an export: a hash of a short PIN falls to an offline search."""


def maker_tables() -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every table with a foreign key to makers.id, with that column, in name order."""
    metadata = load_all()
    makers = metadata.tables["makers"]
    found: list[tuple[sa.Table, sa.Column[Any]]] = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for fk in table.foreign_keys:
            if fk.column.table is makers and fk.parent is not None:
                found.append((table, fk.parent))
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


@dataclass(frozen=True)
class MakerExport:
    member_number: str
    maker: dict[str, Any]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Rows of each table that points at the maker, by table name."""

    def to_json(self) -> str:
        return json.dumps(
            {"maker": self.maker, "records": self.records}, indent=2, ensure_ascii=False
        )


def export_maker(session: Session, member_number: str) -> MakerExport:
    """Everything held about one maker, as plain data."""
    maker = get_maker(session, member_number)
    maker_row = {k: _plain(v) for k, v in maker.model_dump().items()}
    records: dict[str, list[dict[str, Any]]] = {}
    by_table: dict[str, list[sa.Column[Any]]] = {}
    tables: dict[str, sa.Table] = {}
    for table, column in maker_tables():  # a table may name the maker in several columns
        by_table.setdefault(table.name, []).append(column)
        tables[table.name] = table
    for name, columns in by_table.items():
        table = tables[name]
        shown = [c for c in table.columns if f"{name}.{c.name}" not in SECRET_COLUMNS]
        rows = session.connection().execute(
            sa.select(*shown)
            .where(sa.or_(*(column == maker.id for column in columns)))
            .order_by(*table.primary_key.columns)
        )
        records[name] = [{k: _plain(v) for k, v in row._mapping.items()} for row in rows]
    return MakerExport(member_number=maker.member_number, maker=maker_row, records=records)


def write_export_pdf(export: MakerExport, path: Path, *, generated: datetime) -> None:
    """A readable PDF of an export: the maker's details, then each kind of record as a table."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph(f"Data held about maker {export.member_number}", styles["Title"]),
        Paragraph(f"Generated {generated:%Y-%m-%d %H:%M} by fabdesk.", styles["Normal"]),
        Spacer(1, 12),
        Table([[k, str(v)] for k, v in export.maker.items()], hAlign="LEFT"),
    ]
    style = TableStyle(
        [
            ("FONTSIZE", (0, 0), (-1, -1), 7),
            ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ]
    )
    for name, rows in export.records.items():
        story += [Spacer(1, 12), Paragraph(f"{name} ({len(rows)})", styles["Heading2"])]
        if rows:
            header = list(rows[0])
            body = [[str(row[k])[:40] for k in header] for row in rows]
            story.append(Table([header, *body], style=style, repeatRows=1, hAlign="LEFT"))
    SimpleDocTemplate(str(path), pagesize=landscape(A4)).build(story)


@dataclass(frozen=True)
class ErasureReport:
    maker_id: int
    pseudonym: str
    deleted: dict[str, int]
    kept: dict[str, int]


def erase_maker(session: Session, member_number: str, *, now: datetime) -> ErasureReport:
    """Pseudonymise a maker and delete what the books do not need; the ledger is untouched."""
    maker = get_maker(session, member_number)
    maker_id = id_of(maker)
    tables = maker_tables()
    unknown = sorted(table.name for table, _ in tables if table.name not in ERASURE_POLICY)
    if unknown:
        raise Conflict(
            "Erasure has no rule for the tables {tables}: nothing was erased.",
            tables=", ".join(unknown),
            error_code="erasure_policy_missing",
        )
    deleted: dict[str, int] = {}
    kept: dict[str, int] = {}
    connection = session.connection()
    for table, column in tables:
        if ERASURE_POLICY[table.name] == "delete":
            deleted[table.name] = connection.execute(
                sa.delete(table).where(column == maker_id)
            ).rowcount
        else:
            kept[table.name] = (
                kept.get(table.name, 0)
                + connection.execute(
                    sa.select(sa.func.count()).select_from(table).where(column == maker_id)
                ).scalar_one()
            )
    pseudonym = f"ERASED-{maker_id}"
    maker.member_number = pseudonym
    maker.name = ERASED_NAME
    maker.email = ""
    maker.badge_id = None
    session.add(maker)
    account = session.exec(
        select(LedgerAccount).where(
            LedgerAccount.kind == AccountKind.MAKER, LedgerAccount.owner_id == maker_id
        )
    ).first()
    if account is not None:
        account.name = pseudonym
        session.add(account)
    session.flush()
    log.info("maker_erased", extra={"maker_id": maker_id, "at": now.isoformat()})
    return ErasureReport(maker_id=maker_id, pseudonym=pseudonym, deleted=deleted, kept=kept)


@dataclass(frozen=True)
class RetentionReport:
    notifications_deleted: int
    makers_erased: list[int]


def apply_retention(
    session: Session, *, now: datetime, notifications_days: int, inactive_maker_days: int
) -> RetentionReport:
    """Delete sent notifications older than `notifications_days`; erase makers with no booking,
    usage or training for `inactive_maker_days` (0 = never) whose account is settled.

    A maker with no activity at all is left alone: nothing tells how long they have been here.
    """
    from datetime import timedelta

    from fabdesk.accounting.charges import maker_balance
    from fabdesk.models import Booking, Certification, Notification, UsageSession

    sent_before = now - timedelta(days=notifications_days)
    deleted = (
        session.connection()
        .execute(sa.delete(Notification).where(col(Notification.sent_at) < sent_before))
        .rowcount
    )
    erased: list[int] = []
    if inactive_maker_days > 0:
        cutoff = now - timedelta(days=inactive_maker_days)
        last_uses = [
            sa.select(col(Booking.maker_id), sa.func.max(col(Booking.starts_at))).group_by(
                col(Booking.maker_id)
            ),
            sa.select(
                col(UsageSession.maker_id), sa.func.max(col(UsageSession.started_at))
            ).group_by(col(UsageSession.maker_id)),
        ]
        last_seen: dict[int, datetime] = {}
        for query in last_uses:
            for maker_id, when in session.connection().execute(query):
                if maker_id is not None and when is not None:
                    last_seen[maker_id] = max(when, last_seen.get(maker_id, when))
        for maker_id, granted in session.exec(
            select(
                col(Certification.maker_id), sa.func.max(col(Certification.granted_on))
            ).group_by(col(Certification.maker_id))
        ):
            moment = datetime.combine(granted, time(), tzinfo=now.tzinfo)
            last_seen[maker_id] = max(moment, last_seen.get(maker_id, moment))
        for maker_id, seen in sorted(last_seen.items()):
            if seen >= cutoff:
                continue
            maker = session.get(Maker, maker_id)
            if maker is None or maker.member_number.startswith("ERASED-"):
                continue
            if maker_balance(session, maker_id).owed_cents != 0:
                continue
            erase_maker(session, maker.member_number, now=now)
            erased.append(maker_id)
    log.info(
        "retention_applied",
        extra={"notifications_deleted": deleted, "makers_erased": len(erased)},
    )
    return RetentionReport(notifications_deleted=deleted, makers_erased=erased)
