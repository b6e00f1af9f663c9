"""A worked example a manager can check by hand, posted end to end on both databases.

A 37-minute laser job, a 20 % co-payment cheque, a laser co-funded 50/30/20:

- The laser costs 30.00 EUR an hour, VAT included, billed per started minute:
  37 min x 0.50 EUR = 18.50 EUR.
- VAT (21 %, included): 18.50 x 21 / 121 = 3.2107… -> 3.21 EUR; net of VAT 15.29 EUR.
- The Region's maker cheque (face value 100.00 EUR, the maker pays 20 %) pays
  80 % of 18.50 = 14.80 EUR; the maker pays 3.70 EUR; 85.20 EUR stay on the cheque.
- The net 15.29 EUR is split 50/30/20: exactly 7.645 / 4.587 / 3.058 EUR.
  Rounded down: 7.64 + 4.58 + 3.05 = 15.27; the 2 cents left go to the largest remainders,
  0.8 (the school, 20 %) and then 0.7 (the City, 30 %):
  Region 7.64, City 4.59, school 3.06 = 15.29 EUR.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from fabdesk.accounting import (
    add_programme,
    check_ledger,
    cheques_of,
    issue_cheque,
    maker_balance,
    post_usage_charge,
)
from fabdesk.accounting.ledger import balance, find_account
from fabdesk.accounting.pricing import PriceRules
from fabdesk.models import AccountKind, Sector, UsageCharge, id_of
from tests.accounting.factories import ZONE, Lab, add_maker, add_usage, at


def test_a_37_minute_laser_job_paid_by_a_20_percent_cheque(session: Session, lab: Lab) -> None:
    alice = add_maker(session, "M0001", sector=Sector.CREATIVE)
    add_programme(
        session,
        code="chq-region",
        name="Chèques-makers",
        funder_code="region",
        face_value_cents=10000,
        copay_basis_points=2000,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 12, 31),
        sectors=["creative"],
        category_codes=["laser"],
    )
    cheque = issue_cheque(
        session,
        programme_code="chq-region",
        maker_id=id_of(alice),
        today=date(2026, 11, 2),
        now=at("2026-11-02 09:00"),
        new_code=lambda: "MC-0001",
        zone=ZONE,
    )
    job = add_usage(
        session, lab.laser, alice, ended_at=at("2026-11-05 14:37"), active_seconds=37 * 60
    )

    transaction = post_usage_charge(
        session, id_of(job), now=at("2026-11-05 14:38"), rules=PriceRules.default()
    )

    assert transaction is not None
    charge = session.exec(select(UsageCharge)).one()
    assert (charge.billed_minutes, charge.total_cents) == (37, 1850)
    assert (charge.vat_cents, charge.total_cents - charge.vat_cents) == (321, 1529)
    assert (charge.cheque_cents, charge.maker_cents) == (1480, 370)

    def owed(kind: AccountKind, owner: int | None = None) -> int:
        account = find_account(session, kind, owner)
        assert account is not None
        return balance(session, account)

    assert owed(AccountKind.INVESTOR, id_of(lab.region)) == -764
    assert owed(AccountKind.INVESTOR, id_of(lab.city)) == -459
    assert owed(AccountKind.INVESTOR, id_of(lab.school)) == -306
    assert owed(AccountKind.VAT) == -321
    assert owed(AccountKind.CHEQUE, id_of(cheque)) == -8520
    assert maker_balance(session, id_of(alice), date(2026, 11, 5)).owed_cents == 370
    [view] = cheques_of(session, id_of(alice), date(2026, 11, 5))
    assert (view.code, view.remaining_cents, view.expired) == ("MC-0001", 8520, False)
    assert check_ledger(session).ok
