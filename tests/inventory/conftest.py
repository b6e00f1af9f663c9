"""A small cadastre built through the services: two sites, three categories, three investors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from fabdesk.actors import Actor, Author, actor_for
from fabdesk.models import EquipmentCategory, Site
from inventory.investors import add_investor
from inventory.register import NewItem, add_item

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
ACTOR: Author = None
"""Who sets the scene: the system (the tests of who acts and where use `admin` and the managers
of tests/security)."""


@pytest.fixture
def world(session: Session) -> Session:
    """Sites lab1 (prefix LAB1) and lab2, categories laser/fdm/handtools, investors REGION, CITY,
    LAB; items LAB1-00001..3 at lab1 and one at lab2. Sites and categories have no service of
    their own (they come from the seed or the admin), so they are added as rows."""
    session.add_all(
        [
            Site(code="lab1", name="Lab One", address="Rue 1, 1000 Bruxelles"),
            Site(code="lab2", name="Lab Two", address="Rue 2, 1000 Bruxelles"),
            EquipmentCategory(code="laser", name_en="Laser", name_fr="Laser", name_nl="Laser"),
            EquipmentCategory(code="fdm", name_en="3D printer", name_fr="3D", name_nl="3D"),
            EquipmentCategory(
                code="handtools",
                name_en="Hand tools",
                name_fr="Outils",
                name_nl="Gereedschap",
                needs_training=False,
            ),
        ]
    )
    session.flush()
    add_investor(session, "REGION", "Brussels-Capital Region", enterprise_number="0241.372.820")
    add_investor(session, "CITY", "City of Brussels")
    add_investor(session, "LAB", "The lab asbl")
    for name, category, location in [
        ("Laser cutter", "laser", "Atelier"),
        ("Printer A", "fdm", "Atelier"),
        ("Drill set", "handtools", "Store"),
    ]:
        add_item(
            session,
            NewItem(
                site_code="lab1",
                category_code=category,
                name=name,
                location=location,
                asset_tag=None if category != "laser" else tag("LAB1", 1),
                make="Trotec" if category == "laser" else "",
                acquired_on=date(2022, 1, 10),
                acquisition_cost_cents=2_000_000,
                expected_life_years=8,
            ),
            actor=ACTOR,
            now=NOW,
        )
    add_item(
        session,
        NewItem(site_code="lab2", category_code="fdm", name="Printer B", location="Atelier"),
        actor=ACTOR,
        now=NOW,
    )
    return session


def tag(prefix: str, number: int) -> str:
    from fabdesk.identifiers import make_asset_tag

    return make_asset_tag(prefix, number)


@pytest.fixture
def manager(session: Session) -> int:
    """The id of a network admin (a maker who manages every site), who imports files."""
    return make_manager(session)


@pytest.fixture
def admin(session: Session) -> Actor:
    """A network admin acting from the CLI."""
    return actor_for(session, make_manager(session), "cli")


def make_manager(session: Session, *, language: str = "en", site_code: str | None = None) -> int:
    from fabdesk.models import id_of
    from inventory.makers import NewMaker, register_maker
    from inventory.managers import set_pin

    number = f"M{language.upper()}{site_code or 'ALL'}"
    maker = register_maker(session, NewMaker(number, f"Manager {number}", language=language))
    set_pin(session, maker, "1234", site_code=site_code, salt=b"0" * 16)
    return id_of(maker)
