"""Badges at the machine through the real server (uvicorn, SQLite and PostgreSQL): allow with a
walk-in booking, refusals with their code and the maker's language, the allow-list (hashed
badges, no names), every decision recorded, an offline allow the server refuses flagged."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select

from fabdesk.api.app import create_app
from fabdesk.db import Engine, session_scope
from fabdesk.models import (
    BadgeDecision,
    Booking,
    BookingState,
    Certification,
    Equipment,
    Maker,
    ManagerCredential,
    id_of,
)
from fabdesk.settings import SchedulerSettings, Settings
from fabdesk.wire import (
    ALLOW,
    AllowList,
    BadgeAnswer,
    Event,
    EventBatch,
    EventKind,
    badge_digest,
)
from scheduling.machines import load_machine
from tests.api.conftest import DeviceToken, serving
from tests.support.cli import fabdesk

NOW = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)
"""A Tuesday, 14:00 in Brussels: the labs are open."""
PI_BOOT = datetime(1970, 1, 1, 0, 5, tzinfo=UTC)


@dataclass(frozen=True)
class People:
    certified: Maker
    stranger: Maker
    """Has a badge, no certification for the machine."""
    equipment_id: int


def _person(engine: Engine, equipment_tag: str) -> People:
    with session_scope(engine) as session:
        equipment = session.exec(
            select(Equipment).where(Equipment.asset_tag == equipment_tag)
        ).one()
        machine = load_machine(session, id_of(equipment), SchedulerSettings())
        managers = set(session.exec(select(ManagerCredential.maker_id)).all())
        valid = session.exec(
            select(Certification.maker_id).where(
                Certification.category_id == machine.training_category_id,
                Certification.granted_on <= NOW.date(),
                (col(Certification.expires_on).is_(None))
                | (col(Certification.expires_on) >= NOW.date()),
            )
        ).all()
        badged = session.exec(
            select(Maker).where(col(Maker.badge_id).is_not(None)).order_by(col(Maker.id))
        ).all()
        certified = next(m for m in badged if m.id in valid and m.id not in managers)
        stranger = next(
            m for m in badged if m.id not in valid and m.id not in managers and m.language == "nl"
        )
        return People(certified, stranger, id_of(equipment))


@pytest.fixture
def people(api_engine: Engine, device: DeviceToken) -> People:
    return _person(api_engine, device.equipment_tag)


@pytest.fixture
def at_noon(api_settings: Settings, api_engine: Engine) -> Iterator[httpx.Client]:
    app = create_app(api_settings, api_engine, clock=lambda: NOW)
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def ask(client: httpx.Client, device: DeviceToken, badge: str) -> BadgeAnswer:
    response = client.post("/api/v1/badge", json={"badge": badge}, headers=device.headers)
    assert response.status_code == 200, response.text
    return BadgeAnswer.model_validate_json(response.content)


def test_a_certified_badge_on_a_free_machine_walks_in_and_is_recorded(
    at_noon: httpx.Client, device: DeviceToken, people: People, api_engine: Engine
) -> None:
    maker = people.certified
    assert maker.badge_id is not None
    answer = ask(at_noon, device, f" {maker.badge_id}\n")
    assert answer.result == ALLOW, answer
    assert answer.maker_id == maker.id
    assert answer.booking_id is not None
    with session_scope(api_engine) as session:
        booking = session.get(Booking, answer.booking_id)
        assert booking is not None
        assert booking.walk_in
        assert booking.state is BookingState.CHECKED_IN
        assert booking.maker_id == maker.id
        (decision,) = session.exec(select(BadgeDecision)).all()
        assert decision.result == ALLOW
        assert decision.maker_id == maker.id
        assert decision.source == "server"
        assert maker.badge_id not in decision.badge_hash

    # Someone else now finds the machine taken by that booking.
    other = _another_certified(api_engine, people)
    if other is not None:
        refused = ask(at_noon, device, other)
        assert refused.result == "machine_booked"


def _another_certified(engine: Engine, people: People) -> str | None:
    with session_scope(engine) as session:
        machine = load_machine(session, people.equipment_id, SchedulerSettings())
        rows = session.exec(
            select(Maker.badge_id)
            .join(Certification, col(Certification.maker_id) == Maker.id)
            .where(
                Certification.category_id == machine.training_category_id,
                Maker.id != people.certified.id,
                col(Maker.badge_id).is_not(None),
                col(Certification.expires_on).is_(None),
            )
        ).all()
        managers = set(session.exec(select(Maker.badge_id).join(ManagerCredential)).all())
        return next((b for b in rows if b not in managers), None)


def test_refusals_carry_a_code_and_the_makers_language(
    at_noon: httpx.Client, device: DeviceToken, people: People, api_engine: Engine
) -> None:
    unknown = ask(at_noon, device, "DEADBEEF00")
    assert unknown.result == "badge_unknown"
    assert unknown.maker_id is None
    assert people.stranger.badge_id is not None
    refused = ask(at_noon, device, people.stranger.badge_id)
    assert refused.result == "not_certified"
    assert refused.language == "nl"
    assert refused.message.startswith("U hebt een geldige"), refused.message
    with session_scope(api_engine) as session:
        results = sorted(d.result for d in session.exec(select(BadgeDecision)).all())
        assert results == ["badge_unknown", "not_certified"]
        assert session.exec(select(Booking).where(col(Booking.walk_in))).all() == []


def test_the_allow_list_names_certified_badges_by_hash_only(
    at_noon: httpx.Client, device: DeviceToken, people: People
) -> None:
    response = at_noon.get("/api/v1/allow-list", headers=device.headers)
    assert response.status_code == 200, response.text
    allowed = AllowList.model_validate_json(response.content)
    assert allowed.equipment_tag == device.equipment_tag
    assert allowed.walk_ins
    by_hash = {entry.badge_hash: entry for entry in allowed.badges}
    assert people.certified.badge_id is not None
    assert people.stranger.badge_id is not None
    mine = by_hash[badge_digest(allowed.salt, people.certified.badge_id)]
    assert mine.maker_id == people.certified.id
    assert badge_digest(allowed.salt, people.stranger.badge_id) not in by_hash
    assert people.certified.badge_id not in response.text
    assert people.certified.name not in response.text


def test_an_offline_allow_the_server_refuses_is_flagged_never_dropped(
    at_noon: httpx.Client,
    device: DeviceToken,
    people: People,
    api_engine: Engine,
    seeded_url: str,
    manager_token: str,
) -> None:
    assert people.stranger.badge_id is not None
    started = Event(
        id=uuid.uuid4(),
        kind=EventKind.SESSION_STARTED,
        session_id=uuid.uuid4(),
        device_time=PI_BOOT,  # the Pi's clock says 1970: NTP has not answered yet
        badge=people.stranger.badge_id,
        offline_decision=ALLOW,
    )
    sent_at = PI_BOOT + timedelta(minutes=20)
    body = EventBatch(events=[started], sent_at=sent_at).model_dump_json()
    for _ in range(2):  # a retry is checked once
        response = at_noon.post(
            "/api/v1/ingest",
            content=body,
            headers={**device.headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
    flagged = at_noon.get(
        "/api/v1/badge-decisions/flagged", headers={"Authorization": f"Bearer {manager_token}"}
    )
    assert flagged.status_code == 200, flagged.text
    (use,) = flagged.json()
    assert use["maker_id"] == people.stranger.id
    assert use["result"] == "not_certified"
    assert use["offline_result"] == ALLOW
    with session_scope(api_engine) as session:
        (decision,) = session.exec(select(BadgeDecision)).all()
        assert decision.event_uuid == started.id
        assert decision.flagged
        assert decision.decided_at == NOW - timedelta(minutes=20), "on the server's clock"

    shown = fabdesk("badges", "flagged", env={"FABDESK_DATABASE__URL": seeded_url})
    assert shown.returncode == 0, shown.stderr
    assert device.equipment_tag in shown.stdout
    assert "not_certified" in shown.stdout
    assert people.stranger.name not in shown.stdout
    elsewhere = fabdesk(
        "badges", "flagged", "--site", "nowhere", env={"FABDESK_DATABASE__URL": seeded_url}
    )
    assert "No flagged use." in elsewhere.stdout
