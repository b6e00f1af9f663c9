"""The double-entry ledger: accounts, append-only transactions, derived balances, and its check.

A posting's amount is in cents, positive for a debit and negative for a credit; the postings of a
transaction sum to zero or it is refused (`LedgerImbalance`). Nothing is ever updated or deleted.
Each transaction has an idempotency key: posting the same key again returns None and changes
nothing. A transaction is booked in the month of its real date when that month is open, else in
the month of `now` (the open one), keeping its real date in `occurred_on`.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from fabdesk.accounting.months import local_day, month_of
from fabdesk.errors import Conflict, LedgerImbalance
from fabdesk.models import (
    AccountKind,
    LedgerAccount,
    LedgerPeriod,
    LedgerPosting,
    LedgerTransaction,
    PeriodBalance,
    TransactionKind,
    id_of,
)

__all__ = [
    "AccountRef",
    "LedgerCheck",
    "PostedTransaction",
    "account_id",
    "account_ids",
    "balance",
    "booking_month",
    "check_ledger",
    "is_closed",
    "last_closed_month",
    "post_transaction",
]

log = logging.getLogger(__name__)


_ACCOUNTS_CACHE = "fabdesk_ledger_accounts"


_PERIOD_LOCK_HELD = "fabdesk_period_lock_held"
_PERIOD_LOCK_KEY = 0x0FAB_DE5C
"""PostgreSQL advisory lock between posting (shared) and closing a period (exclusive)."""


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_accounts(session: OrmSession, _previous: Any) -> None:
    """Account ids cached in a session may name rows a rollback just removed."""
    session.info.pop(_ACCOUNTS_CACHE, None)
    session.info.pop(_PERIOD_LOCK_HELD, None)


@event.listens_for(OrmSession, "after_commit")
def _forget_lock(session: OrmSession) -> None:
    session.info.pop(_PERIOD_LOCK_HELD, None)


def hold_period_lock(session: Session, *, exclusive: bool = False) -> None:
    """Keep posting and closing apart on PostgreSQL: posters share the lock for their
    transaction, a close takes it alone, so no posting can slip into a month as it closes.
    (SQLite serialises writers by itself: a stale writer gets SQLITE_BUSY_SNAPSHOT.)"""
    if session.get_bind().dialect.name != "postgresql":
        return
    if exclusive:
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_PERIOD_LOCK_KEY)))
        session.info[_PERIOD_LOCK_HELD] = "exclusive"
    elif _PERIOD_LOCK_HELD not in session.info:
        session.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(_PERIOD_LOCK_KEY)))
        session.info[_PERIOD_LOCK_HELD] = "shared"


def is_closed(session: Session, month: str) -> bool:
    return session.get(LedgerPeriod, month) is not None


_PERIODS = LedgerPeriod.__table__  # type: ignore[attr-defined]
_TRANSACTIONS = LedgerTransaction.__table__  # type: ignore[attr-defined]
_POSTINGS = LedgerPosting.__table__  # type: ignore[attr-defined]
# Statements built once: posting a charge runs them thousands of times.
_LAST_CLOSED = sa.select(sa.func.max(_PERIODS.c.month))
_INSERT_POSTINGS = sa.insert(_POSTINGS)
_INSERT_TRANSACTION = {
    "sqlite": sqlite_insert(_TRANSACTIONS)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(_TRANSACTIONS.c.id),
    "postgresql": postgresql_insert(_TRANSACTIONS)
    .on_conflict_do_nothing(index_elements=["key"])
    .returning(_TRANSACTIONS.c.id),
}


def last_closed_month(session: Session) -> str | None:
    """The latest closed month (months close in order, so every one before it is closed too)."""
    found = session.execute(_LAST_CLOSED).scalar()
    return str(found) if found is not None else None


_UNREAD = "unread"


def booking_month(
    session: Session,
    day: date,
    now: datetime,
    *,
    zone: ZoneInfo,
    last_closed: str | None = _UNREAD,
) -> str:
    """The month to book something that happened on `day`: its own while it is open, else the
    month of `now` in `zone` (the open one), so a closed period never receives anything.
    `last_closed` saves a query when the caller has just read it."""
    own = month_of(day)
    if last_closed == _UNREAD:
        last_closed = last_closed_month(session)
    if last_closed is None or own > last_closed:
        return own
    current = month_of(local_day(now, zone))
    if current <= last_closed:
        raise Conflict(
            "The month {month} is closed: nothing can be booked in it.",
            month=current,
            error_code="period_closed",
        )
    return current


def _account_code(kind: AccountKind, owner_id: int | None) -> str:
    return kind.value if owner_id is None else f"{kind.value}:{owner_id}"


def account_id(
    session: Session, kind: AccountKind, owner_id: int | None = None, name: str = ""
) -> int:
    """The id of the account of `kind` for `owner_id`, created on first use."""
    code = _account_code(kind, owner_id)
    cache: dict[str, int] = session.info.setdefault(_ACCOUNTS_CACHE, {})
    if code in cache:
        return cache[code]
    existing = session.exec(select(LedgerAccount.id).where(LedgerAccount.code == code)).first()
    if existing is not None:
        found = existing
    else:
        account = LedgerAccount(code=code, kind=kind, owner_id=owner_id, name=name)
        try:
            with session.begin_nested():
                session.add(account)
        except IntegrityError:  # another writer created it just now
            found = id_of(
                session.exec(select(LedgerAccount).where(LedgerAccount.code == code)).one()
            )
        else:
            found = id_of(account)
    cache[code] = found
    return found


def find_account(session: Session, kind: AccountKind, owner_id: int | None = None) -> int | None:
    """The id of an existing account, or None when nothing was ever posted to it."""
    code = _account_code(kind, owner_id)
    return session.exec(select(LedgerAccount.id).where(LedgerAccount.code == code)).first()


@dataclass(frozen=True)
class PostedTransaction:
    """A transaction just appended to the ledger."""

    id: int
    key: str
    kind: TransactionKind
    month: str
    """The period it is booked in."""
    occurred_on: date
    """Its real date (may be in an earlier, closed month)."""


AccountRef = tuple[AccountKind, int | None]
"""An account named by its kind and owner id, e.g. `(AccountKind.MAKER, 12)`."""


def account_ids(session: Session, refs: Sequence[AccountRef]) -> list[int]:
    """The ids of several accounts in one round trip, creating the missing ones."""
    cache: dict[str, int] = session.info.setdefault(_ACCOUNTS_CACHE, {})
    codes = [_account_code(kind, owner) for kind, owner in refs]
    missing = sorted({code for code in codes if code not in cache})
    if missing:
        table = LedgerAccount.__table__  # type: ignore[attr-defined]
        rows = session.execute(
            sa.select(table.c.code, table.c.id).where(table.c.code.in_(missing))
        ).all()
        cache.update({code: int(found) for code, found in rows})
        new = {
            _account_code(kind, owner): {
                "code": _account_code(kind, owner),
                "kind": kind,
                "owner_id": owner,
                "name": "",
            }
            for kind, owner in refs
            if _account_code(kind, owner) not in cache
        }
        if new:
            try:
                with session.begin_nested():
                    session.execute(sa.insert(table), list(new.values()))
            except IntegrityError:  # another writer created some just now: one by one
                # (the savepoint's rollback dropped the session's cache: `cache` is stale)
                return [account_id(session, kind, owner) for kind, owner in refs]
            else:
                rows = session.execute(
                    sa.select(table.c.code, table.c.id).where(table.c.code.in_(list(new)))
                ).all()
                cache.update({code: int(found) for code, found in rows})
    return [cache[code] for code in codes]


def post_transaction(
    session: Session,
    *,
    key: str,
    kind: TransactionKind,
    postings: Sequence[tuple[int, int]],
    occurred_on: date,
    now: datetime,
    zone: ZoneInfo,
    memo: str = "",
    maker_id: int | None = None,
    equipment_id: int | None = None,
    reverses_id: int | None = None,
    key_checked: bool = False,
    last_closed: str | None = _UNREAD,
    detail: tuple[sa.Table, dict[str, Any]] | None = None,
) -> PostedTransaction | None:
    """Append one balanced transaction of `(account id, cents)` postings; None if `key` exists.

    Zero postings are dropped. The postings must sum to zero, or `LedgerImbalance` is raised and
    nothing is written. `zone` is the ledger's (`ledger_zone`): where `now` falls in a month.
    `key_checked` skips the look-up when the caller has just done it; the unique key still
    refuses a concurrent twin (the first one wins, the other gets None).
    `detail`: a row of a table that details the transaction (a usage charge), inserted with it,
    its `transaction_id` and `month` filled in. On PostgreSQL the transaction, its postings and
    the detail go in one statement (one round trip).
    """
    total = sum(amount for _account, amount in postings)
    if total != 0:
        raise LedgerImbalance(
            "Transaction {key} does not balance: its postings sum to {total} cents.",
            key=key,
            total=total,
        )
    if (
        not key_checked
        and session.execute(sa.select(_TRANSACTIONS.c.id).where(_TRANSACTIONS.c.key == key)).first()
    ):
        return None
    dialect = session.get_bind().dialect.name
    if _PERIOD_LOCK_HELD not in session.info and dialect == "postgresql":
        hold_period_lock(session)
        last_closed = _UNREAD  # read again under the lock
    month = booking_month(session, occurred_on, now, zone=zone, last_closed=last_closed)
    values = {
        "key": key,
        "kind": kind,
        "month": month,
        "booked_at": now,
        "occurred_on": occurred_on,
        "memo": memo[:200],
        "maker_id": maker_id,
        "equipment_id": equipment_id,
        "reverses_id": reverses_id,
    }
    moves = [(account, amount) for account, amount in postings if amount != 0]
    detail_row = {**detail[1], "month": month} if detail is not None else {}
    if dialect == "postgresql":
        new_id = (
            session.connection()
            .execute(
                _posting_statement(detail[0] if detail else None, tuple(detail_row)),
                {
                    **values,
                    "accounts": [account for account, _amount in moves],
                    "amounts": [amount for _account, amount in moves],
                    **{f"detail_{name}": value for name, value in detail_row.items()},
                },
            )
            .scalar()
        )
        if new_id is None:
            return None
    else:
        # ON CONFLICT DO NOTHING: a concurrent twin of the key inserts nothing: we return None.
        new_id = session.execute(_INSERT_TRANSACTION[dialect], values).scalar()
        if new_id is None:
            return None
        if moves:  # executemany: sqlite3 loops in C
            session.execute(
                _INSERT_POSTINGS,
                [
                    {
                        "transaction_id": new_id,
                        "account_id": account,
                        "month": month,
                        "amount_cents": amount,
                    }
                    for account, amount in moves
                ],
            )
        if detail is not None:
            session.execute(_insert_into(detail[0]), {**detail_row, "transaction_id": new_id})
    return PostedTransaction(int(new_id), key, kind, month, occurred_on)


@functools.cache
def _insert_into(table: sa.Table) -> sa.Insert:
    return sa.insert(table)


@functools.cache
def _posting_statement(detail: sa.Table | None, detail_columns: tuple[str, ...]) -> sa.Executable:
    """PostgreSQL: insert a transaction, its postings (unnest of two arrays) and its detail row
    in one statement, returning the new id (no row when the key exists: ON CONFLICT DO NOTHING
    inserts nothing, so the postings and the detail, read from it, are empty too)."""
    names = [
        "key",
        "kind",
        "month",
        "booked_at",
        "occurred_on",
        "memo",
        "maker_id",
        "equipment_id",
        "reverses_id",
    ]
    transaction = (
        postgresql_insert(_TRANSACTIONS)
        .values({name: sa.bindparam(name, type_=_TRANSACTIONS.c[name].type) for name in names})
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(_TRANSACTIONS.c.id)
        .cte("new_transaction")
    )
    moves = (
        sa.func.unnest(
            sa.bindparam("accounts", type_=postgresql.ARRAY(sa.Integer)),
            sa.bindparam("amounts", type_=postgresql.ARRAY(sa.BigInteger)),
        )
        .table_valued("account_id", "amount_cents")
        .render_derived()
    )
    new_postings = (
        sa.insert(_POSTINGS)
        .from_select(
            ["transaction_id", "account_id", "month", "amount_cents"],
            sa.select(
                transaction.c.id,
                moves.c.account_id,
                sa.bindparam("month", type_=_POSTINGS.c.month.type),
                moves.c.amount_cents,
            ).select_from(transaction.join(moves, sa.true())),
        )
        .cte("new_postings")
    )
    if detail is None:
        return sa.select(transaction.c.id).add_cte(new_postings)
    return (
        sa.insert(detail)
        .from_select(
            ["transaction_id", *detail_columns],
            sa.select(
                transaction.c.id,
                *(
                    sa.bindparam(f"detail_{name}", type_=detail.c[name].type)
                    for name in detail_columns
                ),
            ),
        )
        .returning(detail.c.transaction_id)
        .add_cte(transaction, new_postings)
    )


def postings_of(session: Session, transaction_id: int) -> list[tuple[int, int]]:
    """The `(account id, cents)` postings of a transaction, in the order they were written."""
    rows = session.exec(
        select(LedgerPosting.account_id, LedgerPosting.amount_cents)
        .where(LedgerPosting.transaction_id == transaction_id)
        .order_by(col(LedgerPosting.id))
    ).all()
    return [(account, amount) for account, amount in rows]


def balance(session: Session, account: int, *, through_month: str | None = None) -> int:
    """Debits minus credits of an account (through a month, when given)."""
    query = select(sa.func.coalesce(sa.func.sum(LedgerPosting.amount_cents), 0)).where(
        LedgerPosting.account_id == account
    )
    if through_month is not None:
        query = query.where(LedgerPosting.month <= through_month)
    return int(session.exec(query).one())


def balances(session: Session, accounts: Sequence[int]) -> dict[int, int]:
    """Balances of several accounts in one query (accounts without postings are 0)."""
    if not accounts:
        return {}
    rows = session.exec(
        select(LedgerPosting.account_id, sa.func.sum(LedgerPosting.amount_cents))
        .where(col(LedgerPosting.account_id).in_(accounts))
        .group_by(col(LedgerPosting.account_id))
    ).all()
    found = {account: int(total) for account, total in rows}
    return {account: found.get(account, 0) for account in accounts}


@dataclass
class LedgerCheck:
    """What `check_ledger` found. `ok` only when every list is empty and the total is zero."""

    transactions: int = 0
    postings: int = 0
    total_cents: int = 0
    unbalanced_transactions: list[int] = field(default_factory=list)
    negative_cheques: list[int] = field(default_factory=list)
    changed_periods: list[str] = field(default_factory=list)
    misfiled_postings: int = 0

    @property
    def ok(self) -> bool:
        return (
            self.total_cents == 0
            and not self.unbalanced_transactions
            and not self.negative_cheques
            and not self.changed_periods
            and self.misfiled_postings == 0
        )


def period_fingerprint(session: Session, month: str) -> tuple[int, int, int]:
    """`(transactions, postings, debit total)` booked in a month."""
    transactions = session.exec(
        select(sa.func.count())
        .select_from(LedgerTransaction)
        .where(LedgerTransaction.month == month)
    ).one()
    postings, debits = session.exec(
        select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case(
                        (col(LedgerPosting.amount_cents) > 0, LedgerPosting.amount_cents), else_=0
                    )
                ),
                0,
            ),
        ).where(LedgerPosting.month == month)
    ).one()
    return int(transactions), int(postings), int(debits)


def check_ledger(session: Session) -> LedgerCheck:
    """Prove the whole ledger: every transaction balances, the total is zero, no cheque holds
    less than nothing, every posting sits in its transaction's month, and every closed period
    still has exactly the postings and balances it was closed with."""
    report = LedgerCheck()
    report.transactions = int(
        session.exec(select(sa.func.count()).select_from(LedgerTransaction)).one()
    )
    count, total = session.exec(
        select(sa.func.count(), sa.func.coalesce(sa.func.sum(LedgerPosting.amount_cents), 0))
    ).one()
    report.postings, report.total_cents = int(count), int(total)
    report.unbalanced_transactions = [
        int(row)
        for row in session.exec(
            select(LedgerPosting.transaction_id)
            .group_by(col(LedgerPosting.transaction_id))
            .having(sa.func.sum(LedgerPosting.amount_cents) != 0)
        ).all()
    ]
    report.negative_cheques = [
        int(owner)
        for owner in session.exec(
            select(LedgerAccount.owner_id)
            .join(LedgerPosting, col(LedgerPosting.account_id) == col(LedgerAccount.id))
            .where(LedgerAccount.kind == AccountKind.CHEQUE)
            .group_by(col(LedgerAccount.id), col(LedgerAccount.owner_id))
            .having(sa.func.sum(LedgerPosting.amount_cents) > 0)
        ).all()
        if owner is not None
    ]
    report.misfiled_postings = int(
        session.exec(
            select(sa.func.count())
            .select_from(LedgerPosting)
            .join(LedgerTransaction, col(LedgerTransaction.id) == col(LedgerPosting.transaction_id))
            .where(col(LedgerTransaction.month) != col(LedgerPosting.month))
        ).one()
    )
    for period in session.exec(select(LedgerPeriod).order_by(col(LedgerPeriod.month))).all():
        if not _period_intact(session, period):
            report.changed_periods.append(period.month)
    if not report.ok:
        log.warning("ledger_check_failed", extra={"report": str(report)})
    return report


def _period_intact(session: Session, period: LedgerPeriod) -> bool:
    fingerprint = period_fingerprint(session, period.month)
    if fingerprint != (period.transaction_count, period.posting_count, period.debit_total_cents):
        return False
    stored = dict(
        session.exec(
            select(PeriodBalance.account_id, PeriodBalance.movement_cents).where(
                PeriodBalance.month == period.month
            )
        ).all()
    )
    current = {
        account: int(movement)
        for account, movement in session.exec(
            select(LedgerPosting.account_id, sa.func.sum(LedgerPosting.amount_cents))
            .where(LedgerPosting.month == period.month)
            .group_by(col(LedgerPosting.account_id))
        ).all()
    }
    # Accounts carried from earlier months have a zero movement row; compare what moved.
    return {a: m for a, m in stored.items() if m} == {a: m for a, m in current.items() if m}
