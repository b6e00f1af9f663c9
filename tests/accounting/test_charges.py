"""Charging, replays, reversals, late sessions, closes, cheques and usage rights."""

from __future__ import annotations

import functools
from datetime import date

import pytest
from sqlmodel import Session, col, select

from fabdesk.accounting import (
    add_programme,
    check_ledger,
    cheques_of,
    close_period,
    expire_cheques,
    issue_cheque,
    maker_balance,
    post_pending_charges,
    post_usage_charge,
    record_payment,
    reverse_charge,
)
from fabdesk.accounting.ledger import balance, find_account
from fabdesk.accounting.pricing import PriceRules
from fabdesk.errors import Conflict, InvalidValue, NotFound, RuleViolation
from fabdesk.i18n import translator
from fabdesk.models import (
    AccountKind,
    InvestorMember,
    LedgerPeriod,
    LedgerPosting,
    LedgerTransaction,
    PeriodBalance,
    Sector,
    Tier,
    TransactionKind,
    UsageCharge,
    id_of,
)
from fabdesk.wire import Outcome
from tests.accounting.factories import ZONE, Lab, add_maker, add_usage, at


def _programme(session: Session, **overrides: object) -> None:
    values: dict[str, object] = {
        "code": "chq",
        "name": "Chèques-makers",
        "funder_code": "region",
        "face_value_cents": 2000,
        "copay_basis_points": 2000,
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2027, 12, 31),
        "cap_cents_per_maker_year": 6000,
    }
    values.update(overrides)
    add_programme(session, **values)  # type: ignore[arg-type]


def _count(session: Session, model: type[object]) -> int:
    return len(session.exec(select(model)).all())


def test_a_replayed_session_is_charged_once(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "M1")
    job = add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 10:00"), active_seconds=600)
    now = at("2026-11-05 10:01")
    assert post_usage_charge(session, id_of(job), now=now, rules=PriceRules.default()) is not None
    postings = _count(session, LedgerPosting)
    assert post_usage_charge(session, id_of(job), now=now, rules=PriceRules.default()) is None
    assert post_pending_charges(session, now=now, rules=PriceRules.default()) == 0
    assert _count(session, LedgerPosting) == postings
    assert maker_balance(session, id_of(maker)).owed_cents == 500


def test_pending_charges_skip_unfinished_sessions(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "M1")
    add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 10:00"), active_seconds=60)
    running = add_usage(
        session, lab.laser, maker, ended_at=at("2026-11-05 11:00"), active_seconds=60, outcome=None
    )
    assert (
        post_pending_charges(session, now=at("2026-11-05 12:00"), rules=PriceRules.default()) == 1
    )
    with pytest.raises(Conflict, match="has not finished"):
        post_usage_charge(
            session, id_of(running), now=at("2026-11-05 12:00"), rules=PriceRules.default()
        )
    with pytest.raises(NotFound):
        post_usage_charge(session, 999_999, now=at("2026-11-05 12:00"), rules=PriceRules.default())


def test_minimum_charge_tier_and_filament_weight(session: Session, lab: Lab) -> None:
    student = add_maker(session, "S1", tier=Tier.STUDENT)
    # 3 minutes at 2.40 EUR/h = 0.12 EUR, half price for students 0.06 -> minimum 0.50 EUR;
    # 1000 mm of 1.75 mm PLA = 2.405 cm3 x 1.24 g/cm3 = 2.982 g at 40 EUR/kg = 0.12 EUR.
    job = add_usage(
        session,
        lab.printer,
        student,
        ended_at=at("2026-11-05 10:00"),
        active_seconds=170,
        material_mm=1000,
    )
    post_usage_charge(session, id_of(job), now=at("2026-11-05 10:01"), rules=PriceRules.default())
    charge = session.exec(select(UsageCharge)).one()
    assert (charge.time_cents, charge.material_cents, charge.total_cents) == (50, 12, 62)
    assert charge.material_grams == pytest.approx(2.982, abs=0.001)
    assert charge.material_cost_cents == 6
    # All of the rest goes to the Region, which funded the printer alone.
    region = find_account(session, AccountKind.INVESTOR, id_of(lab.region))
    assert region is not None
    assert balance(session, region) == -(62 - charge.vat_cents - 6)


def test_billing_unit_rounds_up_to_started_quarters(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "M1")
    job = add_usage(session, lab.vinyl, maker, ended_at=at("2026-11-05 10:00"), active_seconds=961)
    post_usage_charge(session, id_of(job), now=at("2026-11-05 10:01"), rules=PriceRules.default())
    charge = session.exec(select(UsageCharge)).one()
    assert (charge.billed_minutes, charge.total_cents) == (30, 600)
    revenue = find_account(session, AccountKind.REVENUE, id_of(lab.vinyl))
    assert revenue is not None
    assert balance(session, revenue) == -(600 - charge.vat_cents)


def test_a_late_session_of_a_closed_month_is_booked_in_the_open_one(
    session: Session, lab: Lab
) -> None:
    maker = add_maker(session, "M1")
    add_usage(session, lab.laser, maker, ended_at=at("2026-10-30 10:00"), active_seconds=600)
    closed = close_period(
        session, "2026-10", now=at("2026-11-01 06:00"), rules=PriceRules.default()
    )
    assert closed.transaction_count == 1
    late = add_usage(
        session, lab.laser, maker, ended_at=at("2026-10-31 18:00"), active_seconds=1200
    )
    transaction = post_usage_charge(
        session, id_of(late), now=at("2026-11-03 09:00"), rules=PriceRules.default()
    )
    assert transaction is not None
    assert (transaction.month, transaction.occurred_on) == ("2026-11", date(2026, 10, 31))
    again = close_period(session, "2026-10", now=at("2026-11-20 06:00"), rules=PriceRules.default())
    assert again.closed_at == closed.closed_at
    assert again.transaction_count == 1
    assert check_ledger(session).ok


def test_close_refuses_a_month_that_has_not_ended_and_bad_months(
    session: Session, lab: Lab
) -> None:
    with pytest.raises(RuleViolation, match="has not ended"):
        close_period(session, "2026-11", now=at("2026-11-30 12:00"), rules=PriceRules.default())
    with pytest.raises(InvalidValue, match="YYYY-MM"):
        close_period(session, "2026-13", now=at("2026-11-30 12:00"), rules=PriceRules.default())


def test_close_stores_balances_carried_from_the_previous_close(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "M1", sector=Sector.HEALTH)
    add_usage(session, lab.laser, maker, ended_at=at("2026-10-10 10:00"), active_seconds=600)
    close_period(session, "2026-10", now=at("2026-11-01 06:00"), rules=PriceRules.default())
    add_usage(session, lab.laser, maker, ended_at=at("2026-11-10 10:00"), active_seconds=1200)
    close_period(session, "2026-11", now=at("2026-12-01 06:00"), rules=PriceRules.default())
    account = find_account(session, AccountKind.MAKER, id_of(maker))
    rows = session.exec(
        select(PeriodBalance)
        .where(PeriodBalance.account_id == account)
        .order_by(col(PeriodBalance.month))
    ).all()
    assert [(row.month, row.movement_cents, row.closing_cents) for row in rows] == [
        ("2026-10", 500, 500),
        ("2026-11", 1000, 1500),
    ]
    assert session.get(LedgerPeriod, "2026-11") is not None
    assert check_ledger(session).ok


def test_cheques_are_refused_to_companies_outside_sectors_and_over_the_cap(
    session: Session, lab: Lab
) -> None:
    _programme(session, sectors=["health"])
    company = add_maker(session, "C1", sector=Sector.HEALTH, enterprise_number="0417497106")
    outsider = add_maker(session, "M2", sector=Sector.CREATIVE)
    carer = add_maker(session, "M3", sector=Sector.HEALTH)
    now = at("2026-11-02 09:00")
    issue = functools.partial(
        issue_cheque, session, programme_code="chq", today=now.date(), now=now, zone=ZONE
    )
    with pytest.raises(RuleViolation, match="without an enterprise number"):
        issue(maker_id=id_of(company))
    with pytest.raises(RuleViolation, match="sectors health only"):
        issue(maker_id=id_of(outsider))
    for _ in range(3):
        issue(maker_id=id_of(carer))
    with pytest.raises(RuleViolation, match="the cap is 6000 cents"):
        issue(maker_id=id_of(carer))
    with pytest.raises(NotFound):
        issue(maker_id=id_of(carer), programme_code="nope")


def test_soonest_expiring_cheque_pays_first_partly_then_the_next(
    session: Session, lab: Lab
) -> None:
    _programme(session, cheque_validity_days=30)
    _programme(session, code="chq2", cheque_validity_days=90, copay_basis_points=0)
    maker = add_maker(session, "M1")
    now = at("2026-11-02 09:00")
    late = issue_cheque(
        session, programme_code="chq2", maker_id=id_of(maker), today=now.date(), now=now, zone=ZONE
    )
    soon = issue_cheque(
        session, programme_code="chq", maker_id=id_of(maker), today=now.date(), now=now, zone=ZONE
    )
    # 60 min laser = 30.00 EUR. The soon cheque (20.00, co-pay 20 %) would pay 24.00: it pays
    # its 20.00, covering 25.00 of the charge (maker co-pays 5.00); the later cheque (no
    # co-payment) pays the remaining 5.00. The maker owes 5.00.
    job = add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 10:00"), active_seconds=3600)
    post_usage_charge(session, id_of(job), now=at("2026-11-05 10:01"), rules=PriceRules.default())
    views = {
        view.code: view.remaining_cents
        for view in cheques_of(session, id_of(maker), date(2026, 11, 5))
    }
    assert views == {soon.code: 0, late.code: 1500}
    assert maker_balance(session, id_of(maker)).owed_cents == 500
    assert check_ledger(session).ok


def test_expiry_returns_what_is_left_to_the_programme_once(session: Session, lab: Lab) -> None:
    _programme(session, cheque_validity_days=10)
    maker = add_maker(session, "M1")
    now = at("2026-11-02 09:00")
    cheque = issue_cheque(
        session, programme_code="chq", maker_id=id_of(maker), today=now.date(), now=now, zone=ZONE
    )
    job = add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 10:00"), active_seconds=600)
    post_usage_charge(
        session, id_of(job), now=at("2026-11-05 10:01"), rules=PriceRules.default()
    )  # cheque pays 4.00
    assert expire_cheques(session, date(2026, 11, 11), zone=ZONE) == 0  # still valid on the 11th
    assert expire_cheques(session, date(2026, 11, 12), zone=ZONE) == 1
    assert expire_cheques(session, date(2026, 11, 13), zone=ZONE) == 0
    cheque_account = find_account(session, AccountKind.CHEQUE, id_of(cheque))
    programme_account = find_account(session, AccountKind.PROGRAMME, cheque.programme_id)
    assert cheque_account is not None
    assert programme_account is not None
    assert balance(session, cheque_account) == 0
    assert balance(session, programme_account) == 400  # issued 20.00, 16.00 came back
    [view] = cheques_of(session, id_of(maker), date(2026, 11, 12))
    assert view.expired
    assert view.remaining_cents == 0
    assert check_ledger(session).ok


def test_reversal_gives_the_cheque_back_and_a_repost_charges_again(
    session: Session, lab: Lab
) -> None:
    _programme(session)
    maker = add_maker(session, "M1")
    now = at("2026-11-02 09:00")
    cheque = issue_cheque(
        session, programme_code="chq", maker_id=id_of(maker), today=now.date(), now=now, zone=ZONE
    )
    job = add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 10:00"), active_seconds=600)
    post_usage_charge(session, id_of(job), now=at("2026-11-05 10:01"), rules=PriceRules.default())
    reversal = reverse_charge(session, id_of(job), now=at("2026-11-06 10:00"), zone=ZONE)
    assert reversal is not None
    assert reversal.kind == TransactionKind.REVERSAL
    assert reverse_charge(session, id_of(job), now=at("2026-11-06 10:00"), zone=ZONE) is None
    assert maker_balance(session, id_of(maker)).owed_cents == 0
    assert cheques_of(session, id_of(maker), date(2026, 11, 6))[0].remaining_cents == 2000
    # A replay after the reversal posts nothing; a correction reposts explicitly.
    assert (
        post_usage_charge(
            session, id_of(job), now=at("2026-11-06 10:00"), rules=PriceRules.default()
        )
        is None
    )
    job.active_seconds = 1200
    session.add(job)
    reverse_charge(
        session, id_of(job), now=at("2026-11-06 11:00"), zone=ZONE
    )  # already reversed: None
    charges = session.exec(select(UsageCharge).order_by(col(UsageCharge.revision))).all()
    assert [charge.revision for charge in charges] == [1]
    assert cheque.id is not None
    assert check_ledger(session).ok


def test_correction_reverses_and_reposts_the_next_revision(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "M1")
    job = add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 10:00"), active_seconds=600)
    post_usage_charge(session, id_of(job), now=at("2026-11-05 10:01"), rules=PriceRules.default())
    job.active_seconds = 1200
    session.add(job)
    reverse_charge(
        session, id_of(job), now=at("2026-11-06 10:00"), repost=PriceRules.default(), zone=ZONE
    )
    charges = session.exec(select(UsageCharge).order_by(col(UsageCharge.revision))).all()
    assert [(c.revision, c.total_cents) for c in charges] == [(1, 500), (2, 1000)]
    assert maker_balance(session, id_of(maker)).owed_cents == 1000
    keys = session.exec(select(LedgerTransaction.key).order_by(col(LedgerTransaction.id))).all()
    assert keys[-1] == f"charge:{job.uuid}#2"
    assert check_ledger(session).ok


def test_reversal_to_an_expired_cheque_goes_back_to_the_programme(
    session: Session, lab: Lab
) -> None:
    _programme(session, cheque_validity_days=10)
    maker = add_maker(session, "M1")
    now = at("2026-11-02 09:00")
    cheque = issue_cheque(
        session, programme_code="chq", maker_id=id_of(maker), today=now.date(), now=now, zone=ZONE
    )
    job = add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 10:00"), active_seconds=600)
    post_usage_charge(session, id_of(job), now=at("2026-11-05 10:01"), rules=PriceRules.default())
    expire_cheques(session, date(2026, 11, 20), zone=ZONE)
    reverse_charge(session, id_of(job), now=at("2026-11-21 10:00"), zone=ZONE)
    cheque_account = find_account(session, AccountKind.CHEQUE, id_of(cheque))
    assert cheque_account is not None
    assert balance(session, cheque_account) == 0
    assert check_ledger(session).ok


def test_usage_rights_make_a_members_hours_free_up_to_the_allowance(
    session: Session, lab: Lab
) -> None:
    student = add_maker(session, "S1")
    session.add(InvestorMember(investor_id=id_of(lab.school), maker_id=id_of(student)))
    session.flush()
    # The school holds 10 h a year on the laser: 9 h free, then 1 h free + 1 h paid.
    first = add_usage(
        session, lab.laser, student, ended_at=at("2026-03-01 18:00"), active_seconds=9 * 3600
    )
    second = add_usage(
        session, lab.laser, student, ended_at=at("2026-03-02 18:00"), active_seconds=2 * 3600
    )
    post_usage_charge(session, id_of(first), now=at("2026-03-02 19:00"), rules=PriceRules.default())
    post_usage_charge(
        session, id_of(second), now=at("2026-03-02 19:00"), rules=PriceRules.default()
    )
    charges = session.exec(select(UsageCharge).order_by(col(UsageCharge.id))).all()
    assert [(c.rights_seconds, c.total_cents) for c in charges] == [(9 * 3600, 0), (3600, 3000)]
    assert check_ledger(session).ok


def test_a_session_without_a_payer_is_never_charged_and_holds_its_month_open(
    session: Session, lab: Lab
) -> None:
    """Issue 15: no anonymous `maker` account; the session waits for a manager, and its month
    cannot close until a manager assigns it (then it is charged once)."""
    job = add_usage(
        session,
        lab.laser,
        None,
        ended_at=at("2026-11-05 10:00"),
        active_seconds=60,
        outcome=Outcome.INTERRUPTED,
    )
    with pytest.raises(Conflict) as refused:
        post_usage_charge(
            session, id_of(job), now=at("2026-11-05 10:01"), rules=PriceRules.default()
        )
    assert refused.value.code == "session_unattributed"
    assert (
        post_pending_charges(session, now=at("2026-11-05 10:01"), rules=PriceRules.default()) == 0
    )
    assert find_account(session, AccountKind.MAKER) is None
    with pytest.raises(RuleViolation) as closing:
        close_period(session, "2026-11", now=at("2026-12-01 06:00"), rules=PriceRules.default())
    assert closing.value.code == "period_has_unattributed_sessions"
    assert str(id_of(job)) in str(closing.value)
    assert "1 usage session waits for a manager to assign it" in str(closing.value)
    french = closing.value.render(translator("fr").gettext, "fr")
    assert "1 session d'utilisation attend qu'un responsable l'attribue" in french


def test_months_close_in_order(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "M1")
    add_usage(session, lab.laser, maker, ended_at=at("2026-10-10 10:00"), active_seconds=600)
    post_pending_charges(session, now=at("2026-10-10 11:00"), rules=PriceRules.default())
    with pytest.raises(RuleViolation, match="Close 2026-10 first"):
        close_period(session, "2026-11", now=at("2026-12-01 06:00"), rules=PriceRules.default())
    close_period(session, "2026-10", now=at("2026-12-01 06:00"), rules=PriceRules.default())
    close_period(session, "2026-11", now=at("2026-12-01 06:00"), rules=PriceRules.default())
    with pytest.raises(RuleViolation, match="closed in order"):
        close_period(session, "2026-09", now=at("2026-12-01 06:00"), rules=PriceRules.default())


def test_a_payment_settles_what_the_maker_owes_once(session: Session, lab: Lab) -> None:
    maker = add_maker(session, "M1")
    job = add_usage(session, lab.laser, maker, ended_at=at("2026-11-05 10:00"), active_seconds=600)
    post_usage_charge(session, id_of(job), now=at("2026-11-05 10:01"), rules=PriceRules.default())
    now = at("2026-11-06 09:00")
    assert record_payment(
        session, maker_id=id_of(maker), cents=500, reference="T-1", now=now, zone=ZONE
    )
    assert (
        record_payment(
            session, maker_id=id_of(maker), cents=500, reference="T-1", now=now, zone=ZONE
        )
        is None
    )
    assert maker_balance(session, id_of(maker)).owed_cents == 0
    with pytest.raises(InvalidValue):
        record_payment(session, maker_id=id_of(maker), cents=0, reference="T-2", now=now, zone=ZONE)
    with pytest.raises(NotFound):
        record_payment(session, maker_id=999_999, cents=100, reference="T-3", now=now, zone=ZONE)
    assert check_ledger(session).ok
