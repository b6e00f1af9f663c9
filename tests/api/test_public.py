"""The read endpoints: open data, availability and calendars (public), the device's context, and
the manager's reports — against a real uvicorn server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import icalendar
import pytest
from sqlmodel import select

from fabdesk.api.app import create_app
from fabdesk.db import Engine, write_session
from fabdesk.models import Equipment, Maker, id_of
from fabdesk.settings import SchedulerSettings, Settings
from inventory.makers import certify
from scheduling.bookings import book
from tests.api.conftest import DeviceToken, add_device, serving

# Thursday 5 November 2026, 14:00 in Brussels: Cityfab1 is open.
NOW = datetime(2026, 11, 5, 13, 0, tzinfo=UTC)
LASER = "CF1-00001-R"


@pytest.fixture
def at_two(api_settings: Settings, api_engine: Engine) -> Iterator[httpx.Client]:
    app = create_app(api_settings, api_engine, clock=lambda: NOW)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_open_data_holds_the_cadastre_and_no_person(at_two: httpx.Client) -> None:
    csv = at_two.get("/api/v1/opendata/cadastre.csv")
    assert csv.status_code == 200
    assert LASER in csv.text
    assert "@" not in csv.text
    site = at_two.get("/api/v1/opendata/cadastre.jsonld", params={"site": "cityfab2"})
    assert site.headers["content-type"].startswith("application/ld+json")
    graph = json.loads(site.text)
    assert "@context" in graph
    assert LASER not in site.text, "only the site asked for"


def test_the_dcat_ap_catalogue_names_its_publisher(
    api_settings: Settings, api_engine: Engine, at_two: httpx.Client
) -> None:
    assert at_two.get("/api/v1/opendata/catalogue.jsonld").status_code == 404  # no publisher
    settings = api_settings.model_copy(
        update={
            "inventory": api_settings.inventory.model_copy(
                update={"opendata_publisher": "Fablabs de Bruxelles asbl"}
            )
        }
    )
    app = create_app(settings, api_engine, clock=lambda: NOW)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        answer = client.get("/api/v1/opendata/catalogue.jsonld")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    graph = json.loads(answer.text)["@graph"]
    assert [node["@type"] for node in graph] == ["dcat:Catalog", "dcat:Dataset", "foaf:Agent"]
    assert graph[2]["foaf:name"] == "Fablabs de Bruxelles asbl"
    assert {d["dcat:accessURL"].rsplit("/", 1)[-1] for d in graph[1]["dcat:distribution"]} == {
        "cadastre.csv",
        "cadastre.jsonld",
    }


def test_board_free_slots_and_calendar_of_a_machine(
    at_two: httpx.Client, api_engine: Engine
) -> None:
    with write_session(api_engine) as session:
        maker = session.exec(select(Maker).where(Maker.member_number == "M00001")).one()
        certify(session, maker, "laser", granted_on=date(2026, 1, 1))
        laser = session.exec(select(Equipment).where(Equipment.asset_tag == LASER)).one()
        book(
            session,
            maker_id=id_of(maker),
            equipment_id=id_of(laser),
            starts_at=NOW + timedelta(hours=1),
            ends_at=NOW + timedelta(hours=2),
            now=NOW,
            settings=SchedulerSettings(),
        )
    board = at_two.get("/api/v1/sites/cityfab1/board", params={"day": "2026-11-05"})
    assert board.status_code == 200
    machines = {m["asset_tag"]: m for m in board.json()["machines"]}
    assert [b["kind"] for b in machines[LASER]["taken"]][:1] == ["booking"]
    assert "maker" not in board.text
    free = at_two.get(f"/api/v1/machines/{LASER}/free", params={"day": "2026-11-05"}).json()
    assert free
    taken = (NOW + timedelta(hours=1), NOW + timedelta(hours=2))
    for slot in free:
        starts, ends = (datetime.fromisoformat(slot[k]) for k in ("starts_at", "ends_at"))
        assert ends <= taken[0] or starts >= taken[1]
    feed = at_two.get(f"/api/v1/machines/{LASER}/calendar.ics")
    assert feed.status_code == 200
    events = icalendar.Calendar.from_ical(feed.content).walk("VEVENT")
    assert len(events) == 1
    missing = at_two.get("/api/v1/sites/nowhere/board")
    assert missing.status_code == 404
    assert missing.json()["code"] == "site_not_found"


def test_the_device_learns_who_is_booked_now(at_two: httpx.Client, api_engine: Engine) -> None:
    device: DeviceToken = add_device(api_engine, LASER)
    empty = at_two.get("/api/v1/context", headers=device.headers).json()
    assert empty["equipment_tag"] == LASER
    assert empty.get("booking_id") is None
    with write_session(api_engine) as session:
        maker = session.exec(select(Maker).where(Maker.member_number == "M00002")).one()
        certify(session, maker, "laser", granted_on=date(2026, 1, 1))
        laser = session.exec(select(Equipment).where(Equipment.asset_tag == LASER)).one()
        booking = book(
            session,
            maker_id=id_of(maker),
            equipment_id=id_of(laser),
            starts_at=NOW - timedelta(minutes=30),
            ends_at=NOW + timedelta(minutes=30),
            now=NOW - timedelta(hours=1),
            settings=SchedulerSettings(),
        )
    context = at_two.get("/api/v1/context", headers=device.headers).json()
    assert context["booking_id"] == booking.id
    assert context["member_number"] == "M00002"
    assert context["booking_state"] == "booked"


def test_reports_need_a_manager_token(at_two: httpx.Client, manager_token: str) -> None:
    assert at_two.get("/api/v1/reports/ledger.csv", params={"month": "2026-11"}).status_code == 401
    manager = {"Authorization": f"Bearer {manager_token}"}
    ledger = at_two.get("/api/v1/reports/ledger.csv", params={"month": "2026-11"}, headers=manager)
    assert ledger.status_code == 200
    report = at_two.get(
        "/api/v1/reports/reconcile.csv", params={"month": "2026-11"}, headers=manager
    )
    assert report.status_code == 200
    bad = at_two.get("/api/v1/reports/ledger.csv", params={"month": "November"}, headers=manager)
    assert bad.status_code == 422


def test_public_days_default_to_today_at_the_site(
    api_settings: Settings, api_engine: Engine
) -> None:
    """At 00:30 in Brussels (23:30 UTC the day before) the board and the free slots with no day
    are those of the Brussels day, not of the UTC date."""
    half_past_midnight = datetime(2026, 11, 4, 23, 30, tzinfo=UTC)
    app = create_app(api_settings, api_engine, clock=lambda: half_past_midnight)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        board = client.get("/api/v1/sites/cityfab1/board")
        assert board.json()["day"] == "2026-11-05"
        free = client.get(f"/api/v1/machines/{LASER}/free", params={"minutes": 60})
        assert free.status_code == 200
        assert {slot["starts_at"][:10] for slot in free.json()} == {"2026-11-05"}


def test_a_query_parameter_given_twice_is_malformed(at_two: httpx.Client) -> None:
    """Each parameter takes one value: given twice it is refused, not silently the last one
    (found by the schema fuzz); a parameter the route does not take is still ignored."""
    twice = at_two.get("/api/v1/sites/cityfab1/board?day=2026-11-05&day=2026-11-06")
    assert twice.status_code == 422
    assert twice.json()["code"] == "malformed_request"
    assert "query.day: given more than once" in twice.json()["message"]
    assert at_two.get("/api/v1/sites/cityfab1/board?day=2026-11-05&x=1&x=2").status_code == 200
