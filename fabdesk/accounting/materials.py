"""Sheet materials sold at the desk: a catalogue per site, and each sale posted once.

A sale transaction (cents; debit +, credit -):
- maker, or organisation (a partner billed for the maker who took it), or bank (paid at the
  till)                                   + the total, VAT included
- vat                                     - the VAT included in the total
- materials                               - the material at cost (never more than the net)
- investor i                              - i's share of the margin, when the sale names a machine
- revenue:machine (revenue without one)   - what the lab keeps of the margin
Prices are VAT included, like every rate; the total is `quantity x unit price`, exact, and the VAT
is its included part, rounded once (`fabdesk.money`). The idempotency key is `material:<key>`:
a retry with the same key posts nothing. A wrong sale is corrected by its reversal
(`reverse_sale`: every posting mirrored, booked in the open month) and a new sale.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from fabdesk.accounting.charges import revenue_postings
from fabdesk.accounting.ledger import PostedTransaction, account_ids, post_transaction, postings_of
from fabdesk.accounting.months import local_day
from fabdesk.errors import Conflict, InvalidValue, NotFound
from fabdesk.models import (
    AccountKind,
    Equipment,
    EquipmentShare,
    LedgerTransaction,
    Maker,
    MaterialSale,
    Organisation,
    SheetMaterial,
    Site,
    TransactionKind,
    id_of,
)
from fabdesk.money import split_included_vat

__all__ = [
    "add_material",
    "get_material",
    "list_materials",
    "retire_material",
    "reverse_sale",
    "sell_material",
]

log = logging.getLogger(__name__)

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_.\-]{0,31}$")


def add_material(
    session: Session,
    *,
    site_id: int,
    code: str,
    name: str,
    unit_price_cents: int,
    unit_cost_cents: int,
) -> SheetMaterial:
    """Put a sheet material in a site's catalogue (price VAT included, cost what the lab paid)."""
    code = code.strip().upper()
    if not _CODE.match(code):
        raise InvalidValue(
            "Material code {code!r} must be 1 to 32 letters, digits, ., - or _.",
            code=code,
            error_code="material_code",
        )
    if not name.strip():
        raise InvalidValue("The material needs a name.", error_code="material_name")
    if unit_price_cents < 0 or unit_cost_cents < 0:
        raise InvalidValue(
            "Price and cost of {code} cannot be below zero.", code=code, error_code="amount"
        )
    if session.exec(
        select(SheetMaterial.id).where(SheetMaterial.site_id == site_id, SheetMaterial.code == code)
    ).first():
        raise Conflict(
            "Material {code} is already in this site's catalogue.",
            code=code,
            error_code="material_code_taken",
        )
    material = SheetMaterial(
        site_id=site_id,
        code=code,
        name=name.strip(),
        unit_price_cents=unit_price_cents,
        unit_cost_cents=unit_cost_cents,
    )
    session.add(material)
    session.flush()
    return material


def get_material(session: Session, site_id: int, code: str) -> SheetMaterial:
    material = session.exec(
        select(SheetMaterial).where(
            SheetMaterial.site_id == site_id, SheetMaterial.code == code.strip().upper()
        )
    ).first()
    if material is None:
        raise NotFound(
            "This site sells no material {code!r}.", code=code, error_code="material_not_found"
        )
    return material


def list_materials(
    session: Session, site_id: int | None = None, *, include_retired: bool = False
) -> list[SheetMaterial]:
    """The catalogue of a site (or of every site), by site and code."""
    query = select(SheetMaterial).order_by(col(SheetMaterial.site_id), col(SheetMaterial.code))
    if site_id is not None:
        query = query.where(SheetMaterial.site_id == site_id)
    if not include_retired:
        query = query.where(col(SheetMaterial.active).is_(True))
    return list(session.exec(query).all())


def retire_material(session: Session, *, site_id: int, code: str) -> SheetMaterial:
    """Stop selling a material (past sales keep naming it)."""
    material = get_material(session, site_id, code)
    material.active = False
    session.add(material)
    session.flush()
    return material


def sell_material(
    session: Session,
    *,
    site_id: int,
    code: str,
    quantity: int,
    maker_id: int | None,
    key: str,
    now: datetime,
    equipment_id: int | None = None,
    sold_on: date | None = None,
    vat_rate: Decimal = Decimal("0.21"),
    organisation_id: int | None = None,
    zone: ZoneInfo,
) -> MaterialSale | None:
    """Sell `quantity` units of a site's material to a maker (None: paid at the till), or bill
    them to an organisation (`organisation_id`; the maker, if given, is who took them), and post
    it once; None when `key` was posted already (a retry). `sold_on` (default: today at the site)
    in a closed month is booked in the open one (of `zone`, the ledger's), keeping its date.
    Bad input raises before anything is written: `quantity` (not above zero),
    `material_not_found`, `material_retired`, `maker_not_found`, `organisation_not_found`,
    `machine_not_found` (unknown, or at another site)."""
    if quantity <= 0:
        raise InvalidValue(
            "Sell at least one unit; {quantity} was given.",
            quantity=quantity,
            error_code="quantity",
        )
    if not key.strip():
        raise InvalidValue("A sale needs a reference.", error_code="sale_reference")
    material = get_material(session, site_id, code)
    if not material.active:
        raise Conflict(
            "{name} is no longer sold.", name=material.name, error_code="material_retired"
        )
    if maker_id is not None and session.get(Maker, maker_id) is None:
        raise NotFound("No maker has the id {id}.", id=maker_id, error_code="maker_not_found")
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise NotFound(
            "There is no organisation {id}.",
            id=organisation_id,
            error_code="organisation_not_found",
        )
    shares: list[tuple[int, int]] = []
    if equipment_id is not None:
        machine = session.get(Equipment, equipment_id)
        if machine is None or machine.site_id != site_id:
            raise NotFound(
                "No machine {id} at this site.", id=equipment_id, error_code="machine_not_found"
            )
        shares = [
            (share.investor_id, share.basis_points)
            for share in session.exec(
                select(EquipmentShare).where(EquipmentShare.equipment_id == equipment_id)
            ).all()
        ]
    total = quantity * material.unit_price_cents
    _net, vat = split_included_vat(total, vat_rate)
    cost = quantity * material.unit_cost_cents
    payer = (
        (AccountKind.ORGANISATION, organisation_id)
        if organisation_id is not None
        else (AccountKind.MAKER, maker_id)
        if maker_id is not None
        else (AccountKind.BANK, None)
    )
    refs = [(payer, total), *revenue_postings(total, vat, cost, shares, equipment_id)]
    refs = [(ref, amount) for ref, amount in refs if amount != 0]
    ids = account_ids(session, [ref for ref, _amount in refs])
    day = sold_on or local_day(now, ZoneInfo(session.get_one(Site, site_id).timezone))
    transaction = post_transaction(
        session,
        key=f"material:{key.strip()}",
        kind=TransactionKind.MATERIAL_SALE,
        postings=[(account, amount) for account, (_ref, amount) in zip(ids, refs, strict=True)],
        occurred_on=day,
        now=now,
        zone=zone,
        memo=f"{quantity} x {material.name}",
        # An organisation's sale is not on the maker's statement (the sale row keeps the maker).
        maker_id=maker_id if organisation_id is None else None,
        equipment_id=equipment_id,
    )
    if transaction is None:
        return None
    sale = MaterialSale(
        transaction_id=transaction.id,
        material_id=id_of(material),
        maker_id=maker_id,
        equipment_id=equipment_id,
        organisation_id=organisation_id,
        quantity=quantity,
        occurred_on=day,
        month=transaction.month,
        unit_price_cents=material.unit_price_cents,
        total_cents=total,
        vat_cents=vat,
        cost_cents=cost,
    )
    session.add(sale)
    session.flush()
    log.info("material_sold", extra={"sale_id": sale.id, "material": material.code})
    return sale


def reverse_sale(
    session: Session, *, key: str, now: datetime, zone: ZoneInfo
) -> PostedTransaction | None:
    """Reverse the sale posted with `key` (its reference): every posting mirrored, dated today
    (in `zone`, the ledger's) and booked in the open month; None when it was reversed already.
    Correct a wrong sale by this and a new sale with a new reference."""
    original = session.exec(
        select(LedgerTransaction).where(
            LedgerTransaction.key == f"material:{key.strip()}",
            LedgerTransaction.kind == TransactionKind.MATERIAL_SALE,
        )
    ).first()
    if original is None:
        raise NotFound("No sale has the reference {key!r}.", key=key, error_code="sale_not_found")
    reversal = post_transaction(
        session,
        key=f"reversal:{original.key}",
        kind=TransactionKind.REVERSAL,
        postings=[(account, -amount) for account, amount in postings_of(session, id_of(original))],
        occurred_on=local_day(now, zone),
        now=now,
        zone=zone,
        memo=f"reverses {original.memo} of {original.occurred_on.isoformat()}",
        maker_id=original.maker_id,
        equipment_id=original.equipment_id,
        reverses_id=id_of(original),
    )
    if reversal is not None:
        log.info("material_sale_reversed", extra={"transaction_id": reversal.id})
    return reversal
