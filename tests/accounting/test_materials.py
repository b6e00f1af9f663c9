"""Sheet material sold at the desk: the catalogue, sales posted once, statements, bad input."""

from __future__ import annotations

import functools

import pytest
from sqlmodel import Session, select

from fabdesk.accounting import check_ledger, close_period
from fabdesk.accounting.ledger import balance, find_account
from fabdesk.accounting.materials import (
    add_material,
    list_materials,
    reverse_sale,
    sell_material,
)
from fabdesk.accounting.pricing import PriceRules
from fabdesk.accounting.statements import maker_statement, organisation_statement, statement_csv
from fabdesk.errors import Conflict, InvalidValue, NotFound
from fabdesk.models import (
    AccountKind,
    LedgerTransaction,
    MaterialSale,
    Site,
    id_of,
)
from inventory.organisations import add_organisation
from tests.accounting.factories import ZONE, Lab, add_maker, at


def _mdf(session: Session, lab: Lab) -> None:
    # 4.84 EUR incl. 21 % VAT (net 4.00, VAT 0.84), cost 2.50 a sheet.
    add_material(
        session,
        site_id=id_of(lab.site),
        code="mdf3-600",
        name="MDF 3 mm 600x400",
        unit_price_cents=484,
        unit_cost_cents=250,
    )


def _moved(session: Session, kind: AccountKind, owner: int | None = None) -> int:
    account = find_account(session, kind, owner)
    return balance(session, account) if account is not None else 0


def test_a_sale_for_the_laser_shares_its_margin_and_keeps_the_material_at_cost(
    session: Session, lab: Lab
) -> None:
    """3 sheets of MDF for the laser co-funded 50/30/20: total 14.52, VAT 2.52, net 12.00;
    material at cost 7.50; the margin 4.50 goes 2.25 / 1.35 / 0.90 to the co-investors."""
    _mdf(session, lab)
    maker = add_maker(session, "S1")
    sale = sell_material(
        session,
        site_id=id_of(lab.site),
        code="MDF3-600",
        quantity=3,
        maker_id=id_of(maker),
        key="desk-1",
        now=at("2026-11-05 10:00"),
        equipment_id=id_of(lab.laser),
        zone=ZONE,
    )
    assert sale is not None
    assert (sale.total_cents, sale.vat_cents, sale.cost_cents) == (1452, 252, 750)
    assert _moved(session, AccountKind.MAKER, id_of(maker)) == 1452
    assert _moved(session, AccountKind.VAT) == -252
    assert _moved(session, AccountKind.MATERIALS) == -750
    assert _moved(session, AccountKind.INVESTOR, id_of(lab.region)) == -225
    assert _moved(session, AccountKind.INVESTOR, id_of(lab.city)) == -135
    assert _moved(session, AccountKind.INVESTOR, id_of(lab.school)) == -90
    assert _moved(session, AccountKind.REVENUE, id_of(lab.laser)) == 0
    assert check_ledger(session).ok

    statement = maker_statement(session, "S1", "2026-11")
    [line] = statement.lines
    assert (line.kind, line.description) == ("material_sale", "3 x MDF 3 mm 600x400")
    assert (line.total_cents, line.vat_cents, line.maker_cents) == (1452, 252, 1452)
    assert statement.closing_cents == 1452
    assert "3 x MDF 3 mm 600x400" in statement_csv(statement)


def test_a_retry_posts_nothing_and_a_cash_sale_goes_to_the_bank(session: Session, lab: Lab) -> None:
    _mdf(session, lab)
    site = id_of(lab.site)
    now = at("2026-11-05 10:00")
    sell = functools.partial(
        sell_material, session, site_id=site, code="MDF3-600", quantity=1, maker_id=None,
        key="till-7", now=now, zone=ZONE,
    )  # fmt: skip
    first, again = sell(), sell()
    assert first is not None
    assert again is None
    assert len(session.exec(select(MaterialSale)).all()) == 1
    assert _moved(session, AccountKind.BANK) == 484
    # No machine: the lab keeps the margin in its general revenue account.
    assert _moved(session, AccountKind.REVENUE) == -(400 - 250)
    assert check_ledger(session).ok


def test_a_sale_dated_in_a_closed_month_is_booked_in_the_open_one(
    session: Session, lab: Lab
) -> None:
    _mdf(session, lab)
    maker = add_maker(session, "S2")
    close_period(session, "2026-10", now=at("2026-11-01 08:00"), rules=PriceRules.default())
    sale = sell_material(
        session,
        site_id=id_of(lab.site),
        code="MDF3-600",
        quantity=2,
        maker_id=id_of(maker),
        key="late-paper-slip",
        now=at("2026-11-03 09:00"),
        sold_on=at("2026-10-30 12:00").date(),
        zone=ZONE,
    )
    assert sale is not None
    assert sale.month == "2026-11"
    assert sale.occurred_on.isoformat() == "2026-10-30"
    assert check_ledger(session).ok


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"quantity": 0}, InvalidValue, "quantity"),
        ({"quantity": -2}, InvalidValue, "quantity"),
        ({"code": "PLEXI9"}, NotFound, "material_not_found"),
        ({"maker_id": 999_999}, NotFound, "maker_not_found"),
        ({"equipment_id": 999_999}, NotFound, "machine_not_found"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_posts_nothing(
    session: Session,
    lab: Lab,
    overrides: dict[str, object],
    error: type[Exception],
    code: str,
) -> None:
    _mdf(session, lab)
    maker = add_maker(session, "S3")
    values: dict[str, object] = {
        "site_id": id_of(lab.site),
        "code": "MDF3-600",
        "quantity": 1,
        "maker_id": id_of(maker),
        "key": "k",
        "now": at("2026-11-05 10:00"),
        "zone": ZONE,
    }
    values.update(overrides)
    with pytest.raises(error) as raised:
        sell_material(session, **values)  # type: ignore[arg-type]
    assert getattr(raised.value, "code", None) == code
    assert session.exec(select(LedgerTransaction)).all() == []


def test_the_catalogue_is_per_site_and_refuses_twins(session: Session, lab: Lab) -> None:
    _mdf(session, lab)
    other = Site(code="cityfab2", name="Cityfab2")
    session.add(other)
    session.flush()
    add_material(
        session,
        site_id=id_of(other),
        code="MDF3-600",
        name="MDF 3 mm",
        unit_price_cents=500,
        unit_cost_cents=260,
    )
    with pytest.raises(Conflict):
        _mdf(session, lab)
    assert [m.unit_price_cents for m in list_materials(session, id_of(lab.site))] == [484]
    assert len(list_materials(session)) == 2
    with pytest.raises(NotFound):
        sell_material(
            session,
            site_id=id_of(other),
            code="MDF3-600",
            quantity=1,
            maker_id=None,
            key="x",
            now=at("2026-11-05 10:00"),
            zone=ZONE,
            equipment_id=id_of(lab.laser),  # a machine of the other site
        )


def test_material_billed_to_an_organisation_and_a_sale_corrected(
    session: Session, lab: Lab
) -> None:
    """Erasmus is billed 3 sheets its student took; the sale was wrong (2 sheets): reversed and
    sold again. The organisation's statement shows all three, the maker's none."""
    _mdf(session, lab)
    student = add_maker(session, "S2")
    school = add_organisation(
        session, code="erasmus", name="Erasmus", enterprise_number="0123456749"
    )
    site = id_of(lab.site)
    sell = functools.partial(
        sell_material, session, site_id=site, code="MDF3-600", maker_id=id_of(student), zone=ZONE
    )
    sell(quantity=3, key="slip-9", now=at("2026-11-05 10:00"),
                  organisation_id=id_of(school))  # fmt: skip
    assert _moved(session, AccountKind.ORGANISATION, id_of(school)) == 1452
    assert reverse_sale(session, key="slip-9", now=at("2026-11-06 10:00"), zone=ZONE) is not None
    assert reverse_sale(session, key="slip-9", now=at("2026-11-06 11:00"), zone=ZONE) is None
    sell(quantity=2, key="slip-10", now=at("2026-11-06 10:05"),
                  organisation_id=id_of(school))  # fmt: skip
    assert _moved(session, AccountKind.ORGANISATION, id_of(school)) == 968
    assert _moved(session, AccountKind.MAKER, id_of(student)) == 0
    assert _moved(session, AccountKind.VAT) == -168
    statement = organisation_statement(session, "ERASMUS", "2026-11")
    assert [(line.kind, line.total_cents, line.maker_cents, line.used_by) for line in
            statement.lines] == [
        ("material_sale", 1452, 1452, "S2 Maker S2"),
        ("reversal", -1452, -1452, "S2 Maker S2"),
        ("material_sale", 968, 968, "S2 Maker S2"),
    ]  # fmt: skip
    assert statement.lines[2].unit_price == "2 x 4.84"
    assert maker_statement(session, "S2", "2026-11").lines == []
    with pytest.raises(NotFound):
        reverse_sale(session, key="nothing", now=at("2026-11-06 10:00"), zone=ZONE)
    with pytest.raises(NotFound):
        sell(quantity=1, key="slip-11", now=at("2026-11-06 10:05"),
                      organisation_id=999)  # fmt: skip
    assert check_ledger(session).ok
