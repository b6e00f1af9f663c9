"""Builders of the rows accounting reads: a lab with machines, investors, makers, usage sessions.

Makers go through `inventory.makers.register_maker`. Sites, machines, investors and shares are
inserted as rows because the cadastre's services are written in parallel; usage sessions are
inserted here too: **at integration, the API's ingest service replaces `add_usage`**.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from fabdesk.accounting.months import ledger_zone
from fabdesk.models import (
    Equipment,
    EquipmentCategory,
    EquipmentShare,
    Investor,
    Maker,
    Sector,
    Site,
    Tier,
    UsageSession,
    id_of,
)
from fabdesk.settings import InvoicingSettings, SchedulerSettings
from fabdesk.wire import Outcome
from inventory.makers import NewMaker, register_maker

ZONE = ledger_zone(SchedulerSettings())
"""The ledger's zone of the default settings (`scheduler.timezone`)."""

LAB = InvoicingSettings(
    legal_name="Cityfab asbl",
    address="Rue Claessens 1, 1020 Bruxelles",
    vat_number="BE0403019261",
    iban="BE71 0961 2345 6769",
    bic="GKCCBEBB",
)
"""The lab's legal data printed on its invoices."""


@dataclass
class Lab:
    """A small lab: a laser co-funded 50/30/20, a printer, a vinyl cutter of the lab's own."""

    site: Site
    laser: Equipment
    printer: Equipment
    vinyl: Equipment
    region: Investor
    city: Investor
    school: Investor


def _category(session: Session, code: str) -> EquipmentCategory:
    found = session.exec(select(EquipmentCategory).where(EquipmentCategory.code == code)).first()
    if found is None:
        found = EquipmentCategory(code=code, name_en=code, name_fr=code, name_nl=code)
        session.add(found)
        session.flush()
    return found


def build_lab(session: Session) -> Lab:
    site = Site(code="cityfab1", name="Cityfab1")
    session.add(site)
    session.flush()

    def machine(tag: str, category: str, rate: int, minimum: int = 0, unit: int = 1) -> Equipment:
        item = Equipment(
            asset_tag=tag,
            site_id=id_of(site),
            category_id=id_of(_category(session, category)),
            name=tag,
            rate_cents_per_hour=rate,
            minimum_charge_cents=minimum,
            billing_unit_minutes=unit,
        )
        session.add(item)
        return item

    laser = machine("CF1-LAS-01", "laser", 3000)
    printer = machine("CF1-FDM-01", "fdm", 240, minimum=50)
    vinyl = machine("CF1-VIN-01", "vinyl", 1200, unit=15)
    region = Investor(code="region", name="Brussels-Capital Region")
    city = Investor(code="city", name="City of Brussels")
    school = Investor(code="school", name="Erasmus school")
    session.add_all([region, city, school])
    session.flush()
    for investor, points, hours in ((region, 5000, 0), (city, 3000, 0), (school, 2000, 10)):
        session.add(
            EquipmentShare(
                equipment_id=id_of(laser),
                investor_id=id_of(investor),
                basis_points=points,
                usage_hours_per_year=hours,
            )
        )
    session.add(
        EquipmentShare(equipment_id=id_of(printer), investor_id=id_of(region), basis_points=10000)
    )
    session.flush()
    return Lab(site, laser, printer, vinyl, region, city, school)


def add_maker(
    session: Session,
    number: str,
    *,
    sector: Sector | None = Sector.CREATIVE,
    tier: Tier = Tier.STANDARD,
    enterprise_number: str | None = None,
) -> Maker:
    maker = register_maker(
        session,
        NewMaker(member_number=number, name=f"Maker {number}", enterprise_number=enterprise_number),
    )
    maker.sector = sector
    maker.tier = tier
    session.add(maker)
    session.flush()
    return maker


def add_usage(
    session: Session,
    equipment: Equipment,
    maker: Maker | None,
    *,
    ended_at: datetime,
    active_seconds: float,
    material_g: float | None = None,
    material_mm: float | None = None,
    outcome: Outcome | None = Outcome.DONE,
    session_uuid: uuid.UUID | None = None,
) -> UsageSession:
    """One finished usage session (ingest's stand-in: see the module docstring)."""
    usage = UsageSession(
        uuid=session_uuid or uuid.uuid4(),
        equipment_id=id_of(equipment),
        maker_id=maker.id if maker else None,
        started_at=ended_at - timedelta(seconds=active_seconds),
        ended_at=ended_at,
        active_seconds=active_seconds,
        material_g=material_g,
        material_mm=material_mm,
        outcome=outcome,
    )
    session.add(usage)
    session.flush()
    return usage


def at(text: str) -> datetime:
    """An aware UTC instant from `2026-11-05 14:00`."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_region_programme(session: Session, code: str = "chq", **overrides: Any) -> None:
    """The Region's chèques-makers of 2026: €100.00, the maker pays 20 %, any sector."""
    from fabdesk.accounting import add_programme

    values: dict[str, Any] = {
        "name": "Chèques-makers",
        "funder_code": "region",
        "face_value_cents": 10000,
        "copay_basis_points": 2000,
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2026, 12, 31),
    }
    add_programme(session, code=code, **(values | overrides))
