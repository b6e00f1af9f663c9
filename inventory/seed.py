"""Demo data for the Cityfab network: three sites, about forty machines, two hundred makers.

Each machine has its cadastre fields (make, model, serial number, acquisition date and cost,
expected life, usage rates, maintenance plan, manuals), and some are co-funded by the Region, the
City, the lab and a school, with shares adding up to 100 %.

Deterministic (a fixed random seed) and idempotent: rows are found by their natural keys (site code,
category code, asset tag, member number) and only missing ones are added, so seeding twice changes
nothing and never overwrites what a manager edited.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from fabdesk.identifiers import make_asset_tag
from fabdesk.models import (
    Certification,
    Equipment,
    EquipmentCategory,
    EquipmentEvent,
    EquipmentEventKind,
    EquipmentShare,
    EquipmentStatus,
    Investor,
    Maker,
    OpeningHours,
    Site,
    id_of,
)

CATEGORIES: list[tuple[str, str, str, str, bool]] = [
    # code, English, French, Dutch, needs training
    ("laser", "CO2 laser cutter", "Découpeuse laser CO2", "CO2-lasersnijder", True),
    ("fdm", "FDM 3D printer", "Imprimante 3D FDM", "FDM-3D-printer", True),
    ("resin", "Resin 3D printer", "Imprimante 3D résine", "Hars-3D-printer", True),
    ("cnc", "CNC router", "Fraiseuse CNC", "CNC-freesmachine", True),
    ("vinyl", "Vinyl cutter", "Découpeuse vinyle", "Vinylsnijder", True),
    ("embroidery", "Embroidery machine", "Brodeuse numérique", "Borduurmachine", True),
    ("electronics", "Electronics bench", "Poste électronique", "Elektronicawerkplek", False),
    ("handtools", "Hand tools", "Outillage à main", "Handgereedschap", False),
]

# Per category: cost range in euros, expected life in years, rate in cents an hour, billing unit in
# minutes, minimum charge in cents, maintenance every N days, every N hours of use.
_CADASTRE: dict[str, tuple[tuple[int, int], int, int, int, int, int | None, int | None]] = {
    "laser": ((14_000, 42_000), 8, 1800, 5, 300, 90, 250),
    "fdm": ((800, 1_600), 4, 200, 15, 100, 60, 400),
    "resin": ((3_000, 4_500), 4, 500, 15, 200, 90, None),
    "cnc": ((6_000, 28_000), 10, 2000, 5, 500, 180, 150),
    "vinyl": ((1_500, 3_000), 6, 600, 5, 100, 365, None),
    "embroidery": ((8_000, 11_000), 8, 800, 5, 200, 180, 300),
    "electronics": ((1_200, 2_500), 6, 0, 1, 0, None, None),
    "handtools": ((400, 900), 5, 0, 1, 0, None, None),
}

_MAKES = [
    "Bambu Lab",
    "Brother",
    "BRM",
    "Elegoo",
    "Epilog",
    "Formlabs",
    "Laguna",
    "Prusa",
    "Raise3D",
    "Roland",
    "Shaper",
    "ShopBot",
    "Silhouette",
    "Trotec",
    "Ultimaker",
]

# Co-investors: code, name, enterprise number (None for public bodies without one here).
INVESTORS: list[tuple[str, str, str | None]] = [
    ("REGION", "Brussels-Capital Region", "0241372820"),
    ("CITY", "City of Brussels", "0207373429"),
    ("LAB", "Cityfab asbl", "0712345630"),
    ("SCHOOL", "Institut technique de Laeken", None),
]

# Funding shares by category: investor code, basis points, usage hours a year.
_SHARES: dict[str, list[tuple[str, int, int]]] = {
    "laser": [("REGION", 5000, 0), ("CITY", 3000, 0), ("LAB", 2000, 0)],
    "cnc": [("REGION", 6000, 0), ("LAB", 4000, 0)],
    "embroidery": [("SCHOOL", 5000, 120), ("LAB", 5000, 0)],
    "resin": [("CITY", 10000, 0)],
}

_TUE_SAT = [(d, time(10), time(18)) for d in range(1, 6)]


@dataclass(frozen=True)
class SiteSpec:
    code: str
    name: str
    address: str
    prefix: str
    hours: list[tuple[int, time, time]]
    machines: list[tuple[str, str, int]]  # category code, model, how many


SITES: list[SiteSpec] = [
    SiteSpec(
        code="cityfab1",
        name="Cityfab1 Laeken",
        address="Laeken, 1020 Bruxelles",
        prefix="CF1",
        # Thursday evening session until 21:00, as many fablabs keep one late night.
        hours=[*[h for h in _TUE_SAT if h[0] != 3], (3, time(10), time(21))],
        machines=[
            ("laser", "Trotec Speedy 360", 2),
            ("laser", "Epilog Fusion Pro 32", 1),
            ("fdm", "Prusa MK4", 4),
            ("fdm", "Bambu Lab X1 Carbon", 2),
            ("resin", "Formlabs Form 3", 2),
            ("cnc", "Shaper Origin", 1),
            ("vinyl", "Roland CAMM-1 GS-24", 1),
            ("embroidery", "Brother PR680W", 1),
            ("electronics", "Electronics bench", 2),
        ],
    ),
    SiteSpec(
        code="cityfab2",
        name="Cityfab2 Evere",
        address="Evere, 1140 Bruxelles",
        prefix="CF2",
        hours=[(d, time(9), time(17)) for d in range(0, 5)],
        machines=[
            ("laser", "Trotec Speedy 300", 2),
            ("fdm", "Prusa MK4", 3),
            ("fdm", "Ultimaker S5", 2),
            ("resin", "Elegoo Saturn 3", 1),
            ("cnc", "ShopBot Desktop", 1),
            ("vinyl", "Silhouette Cameo 5", 1),
            ("electronics", "Electronics bench", 1),
        ],
    ),
    SiteSpec(
        code="cityfab3",
        name="Cityfab3 Anderlecht",
        address="Anderlecht, 1070 Bruxelles",
        prefix="CF3",
        hours=_TUE_SAT,
        machines=[
            ("laser", "BRM 100160", 1),
            ("laser", "Trotec Speedy 360", 1),
            ("fdm", "Prusa MK4", 3),
            ("fdm", "Raise3D Pro3", 2),
            ("resin", "Formlabs Form 3", 1),
            ("cnc", "Laguna SmartShop", 1),
            ("vinyl", "Roland CAMM-1 GS-24", 1),
            ("electronics", "Electronics bench", 1),
            ("handtools", "Cordless drill set", 1),
            ("handtools", "Hand tool wall", 1),
        ],
    ),
]

_FIRST = [
    "Amina",
    "Lucas",
    "Noor",
    "Louis",
    "Emma",
    "Mohamed",
    "Lotte",
    "Arthur",
    "Sofia",
    "Jules",
    "Fatima",
    "Wout",
    "Chloé",
    "Yassine",
    "Elise",
    "Thomas",
    "Inès",
    "Bram",
    "Olivia",
    "Adam",
    "Zoë",
    "Victor",
    "Lina",
    "Milan",
    "Hanne",
    "Ayoub",
    "Camille",
    "Jasper",
    "Sara",
    "Nathan",
]
_LAST = [
    "Peeters",
    "Janssens",
    "Dubois",
    "Lambert",
    "El Amrani",
    "Maes",
    "Martin",
    "Claes",
    "Willems",
    "Benali",
    "Goossens",
    "Dupont",
    "Wouters",
    "Mertens",
    "Leclercq",
    "Haddad",
    "De Smet",
    "Simon",
    "Jacobs",
    "Van den Berg",
    "Laurent",
    "Bakkali",
    "Vermeulen",
    "Denis",
]

MAKER_COUNT = 200


@dataclass
class SeedReport:
    """How many rows of each kind seeding added (zero everywhere on a second run)."""

    added: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.added[kind] = self.added.get(kind, 0) + 1


def _enterprise_number(rng: random.Random) -> str:
    body = rng.randrange(2_000_000, 19_999_999)  # numbers start with 0 or 1
    return f"{body:08d}{97 - body % 97:02d}"


def seed(session: Session, *, today: date) -> SeedReport:
    """Add the demo network to the database in `session` (the caller commits)."""
    report = SeedReport()
    categories = _seed_categories(session, report)
    investors = _seed_investors(session, report)
    for spec in SITES:
        _seed_site(session, spec, categories, investors, today, report)
    _seed_makers(session, categories, today, report)
    return report


def _seed_categories(session: Session, report: SeedReport) -> dict[str, EquipmentCategory]:
    existing = {c.code: c for c in session.exec(select(EquipmentCategory))}
    for code, en, fr, nl, training in CATEGORIES:
        if code not in existing:
            category = EquipmentCategory(
                code=code, name_en=en, name_fr=fr, name_nl=nl, needs_training=training
            )
            session.add(category)
            existing[code] = category
            report.count("categories")
    session.flush()
    return existing


def _seed_investors(session: Session, report: SeedReport) -> dict[str, Investor]:
    existing = {i.code: i for i in session.exec(select(Investor))}
    for code, name, number in INVESTORS:
        if code not in existing:
            investor = Investor(code=code, name=name, enterprise_number=number)
            session.add(investor)
            existing[code] = investor
            report.count("investors")
    session.flush()
    return existing


def _make_and_model(model: str) -> tuple[str, str]:
    for make in _MAKES:
        if model.startswith(make + " "):
            return make, model.removeprefix(make + " ")
    return "", model


def _cadastre_fields(category_code: str, model: str, tag: str, today: date) -> dict[str, object]:
    """Make, model, serial, acquisition, life, rates and plan of one demo machine."""
    rng = random.Random(tag)  # stable per machine
    (low, high), life, rate, unit, minimum, every_days, every_hours = _CADASTRE[category_code]
    make, model_name = _make_and_model(model)
    acquired = today - timedelta(days=rng.randrange(120, 2600))
    last_done = None
    if every_days:
        # Most machines were maintained on time; about one in four is due or overdue.
        late = rng.random() < 0.25
        last_done = today - timedelta(
            days=rng.randrange(every_days, every_days + 40)
            if late
            else rng.randrange(5, every_days)
        )
        last_done = max(last_done, acquired)
    slug = "".join(c if c.isalnum() else "-" for c in model.lower())
    return {
        "make": make,
        "model": model_name,
        "serial_number": f"{(make or 'GEN')[:3].upper()}{rng.randrange(10**7, 10**8)}",
        "acquired_on": acquired,
        "acquisition_cost_cents": rng.randrange(low, high + 1) * 100,
        "expected_life_years": life,
        "rate_cents_per_hour": rate,
        "billing_unit_minutes": unit,
        "minimum_charge_cents": minimum,
        "maintenance_every_days": every_days,
        "maintenance_every_hours": every_hours,
        "last_maintenance_on": last_done,
        "manual_urls": f"https://manuals.example.org/{slug}.pdf" if make else "",
    }


def _seed_site(
    session: Session,
    spec: SiteSpec,
    categories: dict[str, EquipmentCategory],
    investors: dict[str, Investor],
    today: date,
    report: SeedReport,
) -> None:
    site = session.exec(select(Site).where(Site.code == spec.code)).first()
    if site is None:
        site = Site(code=spec.code, name=spec.name, address=spec.address)
        session.add(site)
        session.flush()
        for weekday, opens, closes in spec.hours:
            session.add(
                OpeningHours(site_id=id_of(site), weekday=weekday, opens=opens, closes=closes)
            )
        report.count("sites")
    number = 0
    for category_code, model, count in spec.machines:
        category = categories[category_code]
        for index in range(1, count + 1):
            number += 1
            tag = make_asset_tag(spec.prefix, number)
            if session.exec(select(Equipment.id).where(Equipment.asset_tag == tag)).first():
                continue
            item = Equipment(
                asset_tag=tag,
                site_id=id_of(site),
                category_id=id_of(category),
                name=f"{model} #{index}" if count > 1 else model,
                location="Atelier" if category_code != "electronics" else "Salle électronique",
                bookable=category_code != "handtools",
                **_cadastre_fields(category_code, model, tag, today),  # type: ignore[arg-type]
            )
            if model == "Cordless drill set":
                # Lent to a neighbourhood workshop (an organisation, not a person).
                item.status = EquipmentStatus.LENT_OUT
                item.lent_to = "Atelier de quartier Peterbos"
                item.lent_until = today + timedelta(days=14)
            session.add(item)
            session.flush()
            session.add(
                EquipmentEvent(
                    equipment_id=id_of(item),
                    at=datetime.combine(item.acquired_on or today, time(9), tzinfo=UTC),
                    kind=EquipmentEventKind.CREATED,
                    new_value=tag,
                    reason="demo data",
                )
            )
            for code, points, hours in _SHARES.get(category_code, []):
                session.add(
                    EquipmentShare(
                        equipment_id=id_of(item),
                        investor_id=id_of(investors[code]),
                        basis_points=points,
                        usage_hours_per_year=hours,
                    )
                )
                report.count("shares")
            report.count("equipment")
    session.flush()


def _seed_makers(
    session: Session, categories: dict[str, EquipmentCategory], today: date, report: SeedReport
) -> None:
    rng = random.Random(2019)  # the year of the Industrial Plan: same makers on every run
    known = set(session.exec(select(Maker.member_number)))
    trainable = [c for c in categories.values() if c.needs_training]
    for n in range(1, MAKER_COUNT + 1):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        language = rng.choices(["fr", "nl", "en"], weights=[45, 30, 25])[0]
        company = _enterprise_number(rng) if rng.random() < 0.15 else None
        picks = rng.sample(trainable, k=rng.choice([0, 1, 1, 2, 2, 3, 4]))
        grants = [(c, today - timedelta(days=rng.randrange(10, 900)), rng.random()) for c in picks]
        member_number = f"M{n:05d}"
        if member_number in known:
            continue
        maker = Maker(
            member_number=member_number,
            badge_id=f"{rng.getrandbits(40):010X}",
            name=f"{first} {last}",
            email=f"{first}.{last}.{n}@example.org".lower().replace(" ", ""),
            language=language,  # type: ignore[arg-type]
            enterprise_number=company,
        )
        session.add(maker)
        session.flush()
        report.count("makers")
        for category, granted, roll in grants:
            # Most certifications last two years; about one in six has already lapsed.
            expires = granted + timedelta(days=730) if roll > 0.3 else None
            if roll < 0.17:
                expires = today - timedelta(days=rng.randrange(1, 60))
            session.add(
                Certification(
                    maker_id=id_of(maker),
                    category_id=id_of(category),
                    granted_on=granted,
                    expires_on=expires,
                )
            )
            report.count("certifications")
    session.flush()
