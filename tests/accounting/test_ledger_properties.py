"""Hypothesis over random sequences of sessions, cheque issues and expiries, reversals, replays and
closes, on SQLite and PostgreSQL: the ledger always balances, no cheque is negative, every
allocation adds up exactly, replays change nothing, and closed periods never change.

The lab, makers and programme are committed once per test; each example runs in one transaction
that is rolled back at its end (services never commit), so examples do not see each other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from fabdesk.accounting import (
    add_programme,
    check_ledger,
    close_period,
    expire_cheques,
    issue_cheque,
    post_pending_charges,
    post_usage_charge,
    reverse_charge,
)
from fabdesk.accounting.ledger import last_closed_month
from fabdesk.accounting.materials import add_material, sell_material
from fabdesk.accounting.months import local_day, month_bounds, month_of, next_month
from fabdesk.accounting.pricing import PriceRules
from fabdesk.actors import Actor
from fabdesk.db import Engine
from fabdesk.errors import RuleViolation
from fabdesk.models import (
    AccountKind,
    Booking,
    BookingState,
    Equipment,
    InvestorMember,
    LedgerAccount,
    LedgerPosting,
    LedgerTransaction,
    Maker,
    ManagerCredential,
    MaterialSale,
    PeriodBalance,
    Sector,
    Tier,
    UsageCharge,
    UsageSession,
    id_of,
)
from fabdesk.usage.unattributed import Assignee, assign_session
from inventory.organisations import add_organisation
from tests.accounting.factories import ZONE, Lab, add_maker, add_usage, at, build_lab


@dataclass(frozen=True)
class World:
    machines: list[int]
    makers: list[int]
    site: int
    organisation: int
    admin: Actor
    """A network admin, who assigns the sessions nobody booked (to the lab's own use)."""


@pytest.fixture
def world(engine: Engine) -> Iterator[World]:
    with Session(engine, expire_on_commit=False) as session:
        lab: Lab = build_lab(session)
        makers = [
            add_maker(session, "M1", sector=Sector.CREATIVE),
            add_maker(session, "M2", sector=Sector.HEALTH, tier=Tier.STUDENT),
            add_maker(session, "M3", sector=None, tier=Tier.NONPROFIT),
            add_maker(session, "C1", sector=Sector.CREATIVE, enterprise_number="0417497106"),
        ]
        session.add(InvestorMember(investor_id=id_of(lab.school), maker_id=id_of(makers[1])))
        organisation = add_organisation(
            session, code="ACME", name="Acme", enterprise_number="0417497106"
        )
        add_material(
            session,
            site_id=id_of(lab.site),
            code="MDF",
            name="MDF 3 mm",
            unit_price_cents=487,  # odd cents: the VAT rounds
            unit_cost_cents=260,
        )
        for code, copay, days in (("short", 2000, 20), ("long", 0, 90)):
            add_programme(
                session,
                code=code,
                name=code,
                funder_code="region",
                face_value_cents=1500,
                copay_basis_points=copay,
                valid_from=date(2026, 1, 1),
                valid_until=date(2027, 12, 31),
                cheque_validity_days=days,
                cap_cents_per_maker_year=100_000,
                category_codes=["laser", "fdm"] if code == "short" else [],
            )
        admin = add_maker(session, "A1", sector=None)
        session.add(ManagerCredential(maker_id=id_of(admin), pin_hash=""))
        session.commit()
        yield World(
            machines=[id_of(lab.laser), id_of(lab.printer), id_of(lab.vinyl)],
            makers=[id_of(maker) for maker in makers],
            site=id_of(lab.site),
            organisation=id_of(organisation),
            admin=Actor(manager_id=id_of(admin), site_id=None, origin="cli"),
        )


@dataclass(frozen=True)
class NewSession:
    machine: int
    maker: int
    """Index into the makers; one past the end: a session without a maker."""
    minutes: int
    hours_late: int
    grams: int | None
    charge_now: bool
    for_organisation: bool = False
    """Used in a booking made on behalf of the paying organisation: it is billed."""


@dataclass(frozen=True)
class Replay:
    pick: int


@dataclass(frozen=True)
class Pending:
    pass


@dataclass(frozen=True)
class Issue:
    maker: int
    programme: str


@dataclass(frozen=True)
class Expire:
    pass


@dataclass(frozen=True)
class Reverse:
    pick: int
    repost: bool


@dataclass(frozen=True)
class Close:
    pass


@dataclass(frozen=True)
class Sell:
    maker: int
    """Index into the makers; one past the end: paid at the till."""
    quantity: int
    machine: int
    """Index into the machines; one past the end: no machine."""
    key: int
    """Few keys: the same key again is a retry, which posts nothing."""
    days_back: int = 0
    """A paper slip entered late: its day may lie in a closed month."""


@dataclass(frozen=True)
class Wait:
    hours: int


Step = NewSession | Replay | Pending | Issue | Expire | Reverse | Close | Wait | Sell

steps = st.lists(
    st.one_of(
        st.builds(
            NewSession,
            machine=st.integers(0, 2),
            maker=st.integers(0, 4),
            minutes=st.integers(0, 600),
            hours_late=st.integers(0, 40 * 24),
            grams=st.one_of(st.none(), st.integers(0, 500)),
            charge_now=st.booleans(),
            for_organisation=st.booleans(),
        ),
        st.builds(
            Sell,
            st.integers(0, 4),
            st.integers(1, 7),
            st.integers(0, 3),
            st.integers(0, 5),
            st.integers(0, 40),
        ),
        st.builds(Replay, st.integers(0, 50)),
        st.just(Pending()),
        st.builds(Issue, st.integers(0, 3), st.sampled_from(["short", "long"])),
        st.just(Expire()),
        st.builds(Reverse, st.integers(0, 50), st.booleans()),
        st.just(Close()),
        st.builds(Wait, st.integers(1, 24 * 20)),
    ),
    min_size=5,
    max_size=30,
)


@dataclass
class Model:
    now: datetime = field(default_factory=lambda: at("2026-09-20 08:00"))
    sessions: list[int] = field(default_factory=list)
    frozen: dict[str, tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]] = field(
        default_factory=dict
    )


def _frozen_month(
    session: Session, month: str
) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    postings = session.exec(
        select(LedgerPosting.id, LedgerPosting.account_id, LedgerPosting.amount_cents)
        .where(LedgerPosting.month == month)
        .order_by(col(LedgerPosting.id))
    ).all()
    closing = session.exec(
        select(PeriodBalance.account_id, PeriodBalance.movement_cents, PeriodBalance.closing_cents)
        .where(PeriodBalance.month == month)
        .order_by(col(PeriodBalance.account_id))
    ).all()
    return [(int(i or 0), a, m) for i, a, m in postings], [(a, m, c) for a, m, c in closing]


def _ledger_size(session: Session) -> tuple[int, int]:
    return (
        len(session.exec(select(LedgerTransaction.id)).all()),
        len(session.exec(select(LedgerPosting.id)).all()),
    )


def _assert_invariants(session: Session, model: Model) -> None:
    report = check_ledger(session)
    assert report.ok, report
    # No cheque holds less than nothing (check_ledger says so too; asserted here directly).
    cheques = session.exec(
        select(LedgerAccount.id).where(LedgerAccount.kind == AccountKind.CHEQUE)
    ).all()
    for account in cheques:
        held = -sum(
            session.exec(
                select(LedgerPosting.amount_cents).where(LedgerPosting.account_id == account)
            ).all()
        )
        assert held >= 0
    # Every charge's revenue split adds up exactly to its net of VAT and material at cost.
    kinds = dict(session.exec(select(LedgerAccount.id, LedgerAccount.kind)).all())
    for charge in session.exec(select(UsageCharge)).all():
        postings = session.exec(
            select(LedgerPosting.account_id, LedgerPosting.amount_cents).where(
                LedgerPosting.transaction_id == charge.transaction_id
            )
        ).all()
        shared = -sum(
            amount
            for account, amount in postings
            if kinds[account] in {AccountKind.INVESTOR, AccountKind.REVENUE}
        )
        net = charge.total_cents - charge.vat_cents
        assert shared == net - min(charge.material_cost_cents, net)
        paid = sum(
            amount
            for account, amount in postings
            if kinds[account]
            in {AccountKind.MAKER, AccountKind.CHEQUE, AccountKind.ORGANISATION, AccountKind.LAB}
        )
        assert paid == charge.total_cents
        assert charge.cheque_cents + charge.maker_cents == charge.total_cents
        if charge.organisation_id is not None:  # the organisation pays, never a maker's cheque
            assert charge.cheque_cents == 0
            assert all(kinds[account] != AccountKind.MAKER for account, _amount in postings)
    # Every sale: the payer pays the total; the margin is shared exactly.
    for sale in session.exec(select(MaterialSale)).all():
        postings = session.exec(
            select(LedgerPosting.account_id, LedgerPosting.amount_cents).where(
                LedgerPosting.transaction_id == sale.transaction_id
            )
        ).all()
        by_kind: dict[str, int] = {}
        for account, amount in postings:
            by_kind[kinds[account]] = by_kind.get(kinds[account], 0) + amount
        net = sale.total_cents - sale.vat_cents
        assert by_kind.get(AccountKind.MAKER, 0) + by_kind.get(AccountKind.BANK, 0) == (
            sale.total_cents
        )
        assert -by_kind.get(AccountKind.INVESTOR, 0) - by_kind.get(AccountKind.REVENUE, 0) == (
            net - min(sale.cost_cents, net)
        )
    # Closed periods never change.
    for month, snapshot in model.frozen.items():
        assert _frozen_month(session, month) == snapshot, month


def _run(session: Session, world: World, plan: list[Step]) -> None:
    model = Model()
    for step in plan:
        today = local_day(model.now, ZONE)
        match step:
            case NewSession():
                ended = max(model.now - timedelta(hours=step.hours_late), at("2026-09-01 00:00"))
                usage = add_usage_by_id(
                    session,
                    world.machines[step.machine],
                    world.makers[step.maker] if step.maker < len(world.makers) else None,
                    ended_at=ended,
                    active_seconds=step.minutes * 60 + 17,
                    material_g=float(step.grams) if step.grams is not None else None,
                )
                if step.for_organisation and usage.maker_id is not None:
                    _in_organisation_booking(session, usage, world.organisation)
                model.sessions.append(id_of(usage))
                if usage.maker_id is None:  # nobody to charge: a manager assigns it to lab use
                    assigned = assign_session(
                        session,
                        id_of(usage),
                        Assignee(lab_site_id=world.site),
                        actor=world.admin,
                        now=model.now,
                        rules=PriceRules.default(),
                    )
                    assert assigned.charge is not None
                elif step.charge_now:
                    assert (
                        post_usage_charge(
                            session, id_of(usage), now=model.now, rules=PriceRules.default()
                        )
                        is not None
                    )
            case Replay() if model.sessions:
                target = model.sessions[step.pick % len(model.sessions)]
                charged = session.exec(
                    select(UsageCharge.id).where(UsageCharge.usage_session_id == target)
                ).first()
                before = _ledger_size(session)
                result = post_usage_charge(
                    session, target, now=model.now, rules=PriceRules.default()
                )
                if charged is not None:
                    assert result is None
                    assert _ledger_size(session) == before
            case Pending():
                post_pending_charges(session, now=model.now, rules=PriceRules.default())
                assert post_pending_charges(session, now=model.now, rules=PriceRules.default()) == 0
            case Issue():
                refused: RuleViolation | None = None
                try:
                    issue_cheque(
                        session,
                        programme_code=step.programme,
                        maker_id=world.makers[step.maker],
                        today=today,
                        now=model.now,
                        new_code=lambda: "MC-" + uuid.uuid4().hex[:8].upper(),
                        zone=ZONE,
                    )
                except RuleViolation as error:
                    refused = error
                if refused is not None:
                    assert refused.code in {"cheque_enterprise", "cheque_sector"}
            case Expire():
                expire_cheques(session, today, now=model.now, zone=ZONE)
                assert expire_cheques(session, today, now=model.now, zone=ZONE) == 0
            case Reverse() if model.sessions:
                target = model.sessions[step.pick % len(model.sessions)]
                if session.exec(
                    select(UsageCharge.id).where(UsageCharge.usage_session_id == target)
                ).first():
                    reverse_charge(
                        session,
                        target,
                        now=model.now,
                        repost=PriceRules.default() if step.repost else None,
                        zone=ZONE,
                    )
            case Close():
                last = last_closed_month(session)
                month = next_month(last) if last else "2026-09"
                if month_bounds(month, ZONE)[1] <= model.now:
                    period = close_period(session, month, now=model.now, rules=PriceRules.default())
                    assert (
                        close_period(session, month, now=model.now, rules=PriceRules.default())
                        == period
                    )
                    model.frozen[month] = _frozen_month(session, month)
            case Wait():
                model.now += timedelta(hours=step.hours)
            case Sell():
                before = _ledger_size(session)
                retry = session.exec(
                    select(LedgerTransaction.id).where(
                        LedgerTransaction.key == f"material:sale-{step.key}"
                    )
                ).first()
                sale = sell_material(
                    session,
                    site_id=world.site,
                    code="MDF",
                    quantity=step.quantity,
                    maker_id=world.makers[step.maker] if step.maker < len(world.makers) else None,
                    key=f"sale-{step.key}",
                    now=model.now,
                    sold_on=max(today - timedelta(days=step.days_back), date(2026, 9, 1)),
                    equipment_id=world.machines[step.machine]
                    if step.machine < len(world.machines)
                    else None,
                    zone=ZONE,
                )
                assert (sale is None) == (retry is not None)
                if retry is not None:
                    assert _ledger_size(session) == before
        model.now += timedelta(minutes=7)
        _assert_invariants(session, model)
    for transaction in session.exec(select(LedgerTransaction)).all():
        # Nothing is ever booked before the month it happened in.
        assert transaction.month >= month_of(transaction.occurred_on)


def _in_organisation_booking(session: Session, usage: UsageSession, organisation: int) -> None:
    """The session ran in a (completed) booking its maker made on behalf of the organisation."""
    assert usage.started_at is not None
    assert usage.ended_at is not None
    assert usage.maker_id is not None
    booking = Booking(
        maker_id=usage.maker_id,
        equipment_id=usage.equipment_id,
        starts_at=usage.started_at,
        ends_at=usage.ended_at + timedelta(seconds=1),
        blocked_until=usage.ended_at + timedelta(seconds=1),
        state=BookingState.COMPLETED,
        created_at=usage.started_at,
        organisation_id=organisation,
    )
    session.add(booking)
    session.flush()
    usage.booking_id = id_of(booking)
    session.add(usage)
    session.flush()


def add_usage_by_id(
    session: Session,
    equipment_id: int,
    maker_id: int | None,
    *,
    ended_at: datetime,
    active_seconds: float,
    material_g: float | None,
) -> UsageSession:
    equipment = session.get(Equipment, equipment_id)
    assert equipment is not None
    maker = session.get(Maker, maker_id) if maker_id is not None else None
    return add_usage(
        session,
        equipment,
        maker,
        ended_at=ended_at,
        active_seconds=active_seconds,
        material_g=material_g,
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
def test_random_sequences_keep_the_ledger_sound(
    engine: Engine, world: World, plan: list[Step]
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        try:
            _run(session, world, plan)
        finally:
            session.rollback()
