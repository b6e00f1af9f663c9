"""The Cityfab demo network: realistic, complete and idempotent on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlmodel import Session, func, select

from fabdesk.db import Engine, session_scope
from fabdesk.identifiers import parse_asset_tag, parse_enterprise_number
from fabdesk.models import Certification, Equipment, EquipmentCategory, Maker, OpeningHours, Site
from inventory.seed import seed

TODAY = date(2026, 11, 22)


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_seed_builds_the_cityfab_network(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed(session, today=TODAY)
    with session_scope(engine) as session:
        sites = {s.code: s.name for s in session.exec(select(Site))}
        assert sites == {
            "cityfab1": "Cityfab1 Laeken",
            "cityfab2": "Cityfab2 Evere",
            "cityfab3": "Cityfab3 Anderlecht",
        }
        machines = list(session.exec(select(Equipment)))
        assert 35 <= len(machines) <= 45
        for machine in machines:
            parse_asset_tag(machine.asset_tag)
        assert _count(session, OpeningHours) >= 15
        makers = list(session.exec(select(Maker)))
        assert len(makers) == 200
        assert set(Counter(m.language for m in makers)) == {"fr", "nl", "en"}
        companies = [m.enterprise_number for m in makers if m.enterprise_number]
        assert 10 <= len(companies) <= 60
        for number in companies:
            assert parse_enterprise_number(number) == number
        certifications = list(session.exec(select(Certification)))
        assert len(certifications) > 150
        assert any(c.expires_on and c.expires_on < TODAY for c in certifications)
        assert any(c.valid_on(TODAY) for c in certifications)


def test_seed_covers_every_kind_of_machine(engine: Engine) -> None:
    with session_scope(engine) as session:
        seed(session, today=TODAY)
        rows = session.exec(
            select(EquipmentCategory.code, func.count())
            .join(Equipment, Equipment.category_id == EquipmentCategory.id)  # type: ignore[arg-type]
            .group_by(EquipmentCategory.code)
        ).all()
    per_kind = dict(rows)
    assert per_kind["laser"] >= 5
    assert per_kind["fdm"] >= 10
    assert {"resin", "cnc", "vinyl", "embroidery", "electronics"} <= set(per_kind)


def test_seeding_twice_adds_nothing(engine: Engine) -> None:
    with session_scope(engine) as session:
        first = seed(session, today=TODAY)
    with session_scope(engine) as session:
        before = {m: _count(session, m) for m in (Site, Equipment, Maker, Certification)}
        second = seed(session, today=TODAY)
        after = {m: _count(session, m) for m in (Site, Equipment, Maker, Certification)}
    assert first.added["makers"] == 200
    assert second.added == {}
    assert before == after
