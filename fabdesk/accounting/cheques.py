"""Maker cheques: programmes, issuing to makers, which cheques may pay a charge, and expiry.

Ledger movements (cents; debit +, credit -):
- issue F:   programme +F, cheque -F      (the cheque's credit balance is the value left on it)
- spend P:   cheque +P inside the charge   (see `fabdesk.accounting.charges`)
- expiry R:  cheque +R, programme -R       (what is left goes back to the programme)
So a cheque's value left is minus its balance, and it can never fall below zero: a charge never
takes more than is left.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from fabdesk.accounting.ledger import account_id, balances, find_account, post_transaction
from fabdesk.accounting.months import start_of_day
from fabdesk.accounting.pricing import ChequeFunds
from fabdesk.errors import Conflict, InvalidValue, NotFound, RuleViolation, Violation
from fabdesk.models import (
    AccountKind,
    Cheque,
    ChequeProgramme,
    Investor,
    LedgerAccount,
    LedgerPosting,
    Maker,
    Sector,
    TransactionKind,
    id_of,
)

__all__ = [
    "ChequeView",
    "add_programme",
    "cheque_qr_png",
    "cheques_of",
    "eligible_funds",
    "expire_cheques",
    "issue_cheque",
    "list_programmes",
    "remaining_of",
]


def new_cheque_code() -> str:
    """A fresh cheque code, short enough to type when the QR cannot be read."""
    return "MC-" + secrets.token_hex(4).upper()


def add_programme(
    session: Session,
    *,
    code: str,
    name: str,
    funder_code: str,
    face_value_cents: int,
    copay_basis_points: int,
    valid_from: date,
    valid_until: date,
    sectors: Sequence[str] = (),
    category_codes: Sequence[str] = (),
    cheque_validity_days: int = 365,
    cap_cents_per_maker_year: int = 0,
) -> ChequeProgramme:
    """Create a cheque programme funded by the investor `funder_code`."""
    funder = session.exec(select(Investor).where(Investor.code == funder_code)).first()
    if funder is None:
        raise NotFound("No investor has the code {code!r}.", code=funder_code)
    if session.exec(select(ChequeProgramme).where(ChequeProgramme.code == code)).first():
        raise Conflict("A programme with the code {code!r} exists already.", code=code)
    known = {sector.value for sector in Sector}
    for sector in sectors:
        if sector not in known:
            raise InvalidValue(
                "{sector!r} is not a sector; use one of {known}.",
                sector=sector,
                known=", ".join(sorted(known)),
                error_code="sector",
            )
    if face_value_cents <= 0 or not 0 <= copay_basis_points <= 10000:
        raise InvalidValue(
            "A programme needs a positive face value and a co-payment between 0 and 100 %.",
            error_code="programme_values",
        )
    if valid_until < valid_from or cheque_validity_days <= 0:
        raise InvalidValue(
            "A programme must end after it starts, and its cheques last at least one day.",
            error_code="programme_dates",
        )
    programme = ChequeProgramme(
        code=code,
        name=name,
        funder_id=id_of(funder),
        face_value_cents=face_value_cents,
        copay_basis_points=copay_basis_points,
        sectors=",".join(sectors),
        category_codes=",".join(category_codes),
        valid_from=valid_from,
        valid_until=valid_until,
        cheque_validity_days=cheque_validity_days,
        cap_cents_per_maker_year=cap_cents_per_maker_year,
    )
    session.add(programme)
    session.flush()
    return programme


def list_programmes(session: Session) -> list[ChequeProgramme]:
    return list(session.exec(select(ChequeProgramme).order_by(col(ChequeProgramme.code))).all())


def issue_cheque(
    session: Session,
    *,
    programme_code: str,
    maker_id: int,
    today: date,
    now: datetime,
    zone: ZoneInfo,
    new_code: Callable[[], str] = new_cheque_code,
) -> Cheque:
    """Issue one cheque of the programme to a maker, if the programme's rules allow it (`zone`:
    the ledger's, `ledger_zone`).

    Refused (RuleViolation, every reason listed) when the maker has an enterprise number, is
    outside the programme's sectors, the programme is not running today, or the cheque would pass
    the cap per maker and calendar year.
    """
    programme = session.exec(
        select(ChequeProgramme).where(ChequeProgramme.code == programme_code)
    ).first()
    if programme is None:
        raise NotFound("No cheque programme has the code {code!r}.", code=programme_code)
    maker = session.get(Maker, maker_id)
    if maker is None:
        raise NotFound("No maker has the id {maker_id}.", maker_id=maker_id)
    violations: list[Violation] = []
    if maker.enterprise_number:
        violations.append(
            Violation(
                "cheque_enterprise",
                "Maker cheques are for makers without an enterprise number; {member} has one.",
                {"member": maker.member_number},
            )
        )
    sectors = programme.sector_list()
    if sectors and (maker.sector is None or maker.sector.value not in sectors):
        violations.append(
            Violation(
                "cheque_sector",
                "The programme {programme} is open to the sectors {sectors} only.",
                {"programme": programme.code, "sectors": ", ".join(sectors)},
            )
        )
    if not programme.valid_from <= today <= programme.valid_until:
        violations.append(
            Violation(
                "cheque_programme_closed",
                "The programme {programme} runs from {start} to {end}.",
                {
                    "programme": programme.code,
                    "start": programme.valid_from.isoformat(),
                    "end": programme.valid_until.isoformat(),
                },
            )
        )
    cap = programme.cap_cents_per_maker_year or programme.face_value_cents
    issued = session.exec(
        select(sa.func.coalesce(sa.func.sum(Cheque.face_value_cents), 0)).where(
            Cheque.programme_id == id_of(programme),
            Cheque.maker_id == maker_id,
            col(Cheque.issued_on) >= date(today.year, 1, 1),
            col(Cheque.issued_on) <= date(today.year, 12, 31),
        )
    ).one()
    if int(issued) + programme.face_value_cents > cap:
        violations.append(
            Violation(
                "cheque_cap",
                "{member} has already received {issued} cents of {programme} this year; "
                "the cap is {cap} cents.",
                {
                    "member": maker.member_number,
                    "issued": int(issued),
                    "programme": programme.code,
                    "cap": cap,
                },
            )
        )
    if violations:
        raise RuleViolation(violations)
    expires_on = min(
        today + timedelta(days=programme.cheque_validity_days - 1), programme.valid_until
    )
    cheque = Cheque(
        code=new_code(),
        programme_id=id_of(programme),
        maker_id=maker_id,
        face_value_cents=programme.face_value_cents,
        issued_on=today,
        expires_on=expires_on,
    )
    session.add(cheque)
    session.flush()
    cheque_account = account_id(session, AccountKind.CHEQUE, id_of(cheque), cheque.code)
    programme_account = account_id(session, AccountKind.PROGRAMME, id_of(programme), programme.code)
    post_transaction(
        session,
        key=f"cheque_issue:{cheque.code}",
        kind=TransactionKind.CHEQUE_ISSUE,
        postings=[
            (programme_account, cheque.face_value_cents),
            (cheque_account, -cheque.face_value_cents),
        ],
        occurred_on=today,
        now=now,
        zone=zone,
        memo=f"cheque {cheque.code} of {programme.code}",
        maker_id=maker_id,
    )
    return cheque


def remaining_of(session: Session, cheques: Sequence[Cheque]) -> dict[int, int]:
    """Value left on each cheque, by cheque id (minus the cheque account's balance)."""
    accounts = {
        id_of(cheque): find_account(session, AccountKind.CHEQUE, id_of(cheque))
        for cheque in cheques
    }
    found = balances(session, [a for a in accounts.values() if a is not None])
    return {
        cheque: -found[account] if account is not None else 0
        for cheque, account in accounts.items()
    }


def eligible_funds(
    session: Session, *, maker_id: int, sector: str | None, category_code: str, day: date
) -> list[ChequeFunds]:
    """The maker's cheques that may pay for a session on `day` on a machine of `category_code`,
    with the value left on each (one query). The caller checks the enterprise number."""
    cheques = Cheque.__table__  # type: ignore[attr-defined]
    programmes = ChequeProgramme.__table__  # type: ignore[attr-defined]
    accounts = LedgerAccount.__table__  # type: ignore[attr-defined]
    postings = LedgerPosting.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        sa.select(
            cheques.c.id,
            cheques.c.expires_on,
            programmes.c.copay_basis_points,
            programmes.c.sectors,
            programmes.c.category_codes,
            sa.func.coalesce(sa.func.sum(postings.c.amount_cents), 0).label("balance"),
        )
        .select_from(
            cheques.join(programmes, programmes.c.id == cheques.c.programme_id)
            .outerjoin(
                accounts,
                sa.and_(accounts.c.kind == AccountKind.CHEQUE, accounts.c.owner_id == cheques.c.id),
            )
            .outerjoin(postings, postings.c.account_id == accounts.c.id)
        )
        .where(
            cheques.c.maker_id == maker_id,
            cheques.c.issued_on <= day,
            cheques.c.expires_on >= day,
        )
        .group_by(
            cheques.c.id,
            cheques.c.expires_on,
            programmes.c.copay_basis_points,
            programmes.c.sectors,
            programmes.c.category_codes,
        )
    ).all()
    funds: list[ChequeFunds] = []
    for row in rows:
        categories = [c for c in row.category_codes.split(",") if c]
        sectors = [s for s in row.sectors.split(",") if s]
        if categories and category_code not in categories:
            continue
        if sectors and (sector is None or sector not in sectors):
            continue
        if -int(row.balance) > 0:
            funds.append(
                ChequeFunds(
                    cheque_id=int(row.id),
                    remaining=-int(row.balance),
                    copay_basis_points=int(row.copay_basis_points),
                    expires_on=row.expires_on,
                )
            )
    return funds


def expire_cheques(
    session: Session, today: date, *, zone: ZoneInfo, now: datetime | None = None
) -> int:
    """Return what is left on every cheque that expired before `today` to its programme
    (`today` and `zone`: the ledger's, `ledger_zone`; booked at `now`, else `today`'s start).

    For the scheduler (daily). Idempotent: a cheque expires once; returns how many expired now.
    """
    booked_at = now or start_of_day(today, zone)
    expired = session.exec(
        select(Cheque, ChequeProgramme)
        .join(ChequeProgramme, col(ChequeProgramme.id) == col(Cheque.programme_id))
        .where(col(Cheque.expires_on) < today)
        .order_by(col(Cheque.id))
    ).all()
    left = remaining_of(session, [cheque for cheque, _programme in expired])
    count = 0
    for cheque, programme in expired:
        value = left[id_of(cheque)]
        if value <= 0:
            continue
        posted = post_transaction(
            session,
            key=f"cheque_expiry:{cheque.code}",
            kind=TransactionKind.CHEQUE_EXPIRY,
            postings=[
                (account_id(session, AccountKind.CHEQUE, id_of(cheque), cheque.code), value),
                (
                    account_id(session, AccountKind.PROGRAMME, id_of(programme), programme.code),
                    -value,
                ),
            ],
            occurred_on=cheque.expires_on + timedelta(days=1),
            now=booked_at,
            zone=zone,
            memo=f"cheque {cheque.code} expired",
            maker_id=cheque.maker_id,
        )
        count += posted is not None
    return count


@dataclass(frozen=True)
class ChequeView:
    """A cheque as the maker sees it on the kiosk's "Me" screen."""

    code: str
    programme: str
    face_value_cents: int
    remaining_cents: int
    copay_basis_points: int
    issued_on: date
    expires_on: date
    expired: bool


def cheques_of(session: Session, maker_id: int, today: date) -> list[ChequeView]:
    """A maker's cheques, valid ones first (soonest expiry first), then expired ones."""
    rows = session.exec(
        select(Cheque, ChequeProgramme)
        .join(ChequeProgramme, col(ChequeProgramme.id) == col(Cheque.programme_id))
        .where(Cheque.maker_id == maker_id)
    ).all()
    left = remaining_of(session, [cheque for cheque, _programme in rows])
    views = [
        ChequeView(
            code=cheque.code,
            programme=programme.name,
            face_value_cents=cheque.face_value_cents,
            remaining_cents=left[id_of(cheque)] if cheque.expires_on >= today else 0,
            copay_basis_points=programme.copay_basis_points,
            issued_on=cheque.issued_on,
            expires_on=cheque.expires_on,
            expired=cheque.expires_on < today,
        )
        for cheque, programme in rows
    ]
    return sorted(views, key=lambda view: (view.expired, view.expires_on, view.code))


def find_cheque(session: Session, code: str) -> Cheque:
    """The cheque with this code (as scanned from its QR)."""
    cheque = session.exec(select(Cheque).where(Cheque.code == code.strip().upper())).first()
    if cheque is None:
        raise NotFound("No cheque has the code {code!r}.", code=code, error_code="cheque_code")
    return cheque


def cheque_qr_png(code: str) -> bytes:
    """The cheque's code as a QR image (PNG), to print on the cheque."""
    import qrcode

    image = qrcode.make(code)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
