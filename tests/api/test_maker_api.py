"""The maker API (`/api/v1/me/`) against a real uvicorn server, on SQLite and PostgreSQL: a maker
books, extends and cancels from their phone with the token made at the kiosk, waits for a taken
slot and accepts the offer, gets their iCal address; refusals keep their codes and come in the
maker's language; a token never reads another maker's things; guessing tokens is slowed down."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest
from sqlmodel import select

from fabdesk.api.app import create_app
from fabdesk.db import Engine, session_scope, write_session
from fabdesk.models import Maker, MakerToken, id_of
from fabdesk.settings import Settings
from inventory.maker_tokens import issue_token
from inventory.makers import certify, set_language
from tests.api.conftest import serving

# Thursday 5 November 2026, 14:00 in Brussels: Cityfab1 is open from 10:00 to 21:00.
NOW = datetime(2026, 11, 5, 13, 0, tzinfo=UTC)
LASER = "CF1-00001-R"


@dataclass(frozen=True)
class Phone:
    """A maker's phone: their id and an HTTP client carrying their token."""

    maker_id: int
    token: str
    client: httpx.Client


def make_phone(
    engine: Engine, url: str, member_number: str, *, language: str, trained: bool = True
) -> Phone:
    with write_session(engine) as session:
        maker = session.exec(select(Maker).where(Maker.member_number == member_number)).one()
        set_language(session, id_of(maker), language)
        if trained:
            certify(session, maker, "laser", granted_on=date(2026, 1, 1))
        issued = issue_token(session, id_of(maker), label="test", now=NOW)
    client = httpx.Client(
        base_url=url, timeout=30, headers={"Authorization": f"Bearer {issued.token}"}
    )
    return Phone(id_of(maker), issued.token, client)


@pytest.fixture
def live(api_settings: Settings, api_engine: Engine) -> Iterator[str]:
    with serving(create_app(api_settings, api_engine, clock=lambda: NOW)) as url:
        yield url


@pytest.fixture
def alice(api_engine: Engine, live: str) -> Iterator[Phone]:
    phone = make_phone(api_engine, live, "M00001", language="fr")
    yield phone
    phone.client.close()


@pytest.fixture
def bob(api_engine: Engine, live: str) -> Iterator[Phone]:
    phone = make_phone(api_engine, live, "M00002", language="nl")
    yield phone
    phone.client.close()


def at(hour: int, minute: int = 0) -> str:
    """An instant of NOW's day in Brussels time, as a phone sends it."""
    return f"2026-11-05T{hour:02d}:{minute:02d}:00+01:00"


def test_a_maker_books_extends_and_cancels_from_the_phone(alice: Phone) -> None:
    assert alice.client.get("/api/v1/me").json() == {"maker_id": alice.maker_id, "language": "fr"}
    free = alice.client.get(
        "/api/v1/me/free", params={"machine": LASER, "day": "2026-11-05", "minutes": 60}
    )
    assert free.status_code == 200, free.text
    assert free.json()[0]["asset_tag"] == LASER
    booked = alice.client.post(
        "/api/v1/me/bookings", json={"asset_tag": LASER, "starts_at": at(16), "minutes": 60}
    )
    assert booked.status_code == 201, booked.text
    booking = booked.json()
    assert booking["state"] == "booked"
    assert datetime.fromisoformat(booking["starts_at"]) == datetime(2026, 11, 5, 15, tzinfo=UTC)
    mine = alice.client.get("/api/v1/me/bookings").json()
    assert [b["id"] for b in mine] == [booking["id"]]
    longer = alice.client.post(
        f"/api/v1/me/bookings/{booking['id']}/extend", json={"ends_at": at(17, 30)}
    )
    assert longer.status_code == 200, longer.text
    assert datetime.fromisoformat(longer.json()["ends_at"]) == datetime(
        2026, 11, 5, 16, 30, tzinfo=UTC
    )
    gone = alice.client.post(f"/api/v1/me/bookings/{booking['id']}/cancel")
    assert gone.status_code == 200, gone.text
    assert gone.json()["state"] == "cancelled"
    assert alice.client.get("/api/v1/me/bookings").json() == []


def test_refusals_keep_their_codes_in_the_makers_language(
    api_engine: Engine, live: str, alice: Phone
) -> None:
    untrained = make_phone(api_engine, live, "M00003", language="nl", trained=False)
    wanted = {"asset_tag": LASER, "starts_at": at(16), "minutes": 60}
    refused = untrained.client.post("/api/v1/me/bookings", json=wanted)
    assert refused.status_code == 422
    assert refused.json()["code"] == "not_certified"
    assert refused.json()["message"].startswith("U hebt een geldige opleiding")
    english = untrained.client.post(
        "/api/v1/me/bookings", json=wanted, headers={"Accept-Language": "en-GB,en;q=0.9"}
    )
    assert english.json()["message"].startswith("You need a valid")
    too_long = alice.client.post("/api/v1/me/bookings", json={**wanted, "minutes": 600})
    assert too_long.json()["code"] == "too_long"
    assert too_long.json()["message"].startswith("Une réservation de Trotec Speedy 360 #1 dure")
    closed = alice.client.post(
        "/api/v1/me/bookings",
        json={"asset_tag": LASER, "starts_at": "2026-11-09T12:00:00+01:00", "minutes": 60},
    )
    assert closed.json()["code"] in ("site_closed", "outside_opening_hours")
    vague = alice.client.get("/api/v1/me/free", params={"day": "2026-11-05"})
    assert (vague.status_code, vague.json()["code"]) == (422, "machine_or_category")
    assert vague.json()["message"].startswith("Dites quelle machine")
    naive = alice.client.post(
        "/api/v1/me/bookings", json={**wanted, "starts_at": "2026-11-05T16:00:00"}
    )
    assert (naive.status_code, naive.json()["code"]) == (422, "malformed_request")
    unknown = alice.client.post("/api/v1/me/bookings", json={**wanted, "asset_tag": "NOPE"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "machine_not_found")
    untrained.client.close()


def test_a_token_never_reads_another_makers_things(alice: Phone, bob: Phone) -> None:
    booked = alice.client.post(
        "/api/v1/me/bookings", json={"asset_tag": LASER, "starts_at": at(16), "minutes": 60}
    ).json()
    waiting = bob.client.post(
        "/api/v1/me/waitlist", json={"asset_tag": LASER, "starts_at": at(16), "ends_at": at(17)}
    )
    assert waiting.status_code == 201, waiting.text
    entry = waiting.json()
    assert bob.client.get("/api/v1/me/bookings").json() == []
    assert alice.client.get("/api/v1/me/waitlist").json() == []
    for action, body in [("cancel", None), ("extend", {"ends_at": at(18)})]:
        path = f"/api/v1/me/bookings/{booked['id']}/{action}"
        answer = bob.client.post(path, json=body)
        assert (answer.status_code, answer.json()["code"]) == (404, "booking_not_found"), path
        missing = bob.client.post(f"/api/v1/me/bookings/999999/{action}", json=body)
        assert missing.json()["code"] == "booking_not_found"
        assert answer.json()["message"].replace(str(booked["id"]), "N") == missing.json()[
            "message"
        ].replace("999999", "N"), "another's booking looks exactly like none"
    assert alice.client.post(f"/api/v1/me/waitlist/{entry['id']}/accept").status_code == 404
    assert alice.client.delete(f"/api/v1/me/waitlist/{entry['id']}").status_code == 404
    assert alice.client.get("/api/v1/me/bookings").json()[0]["state"] == "booked"
    assert bob.client.get("/api/v1/me/waitlist").json()[0]["state"] == "waiting"


def test_a_freed_slot_is_offered_and_accepted_from_the_phone(alice: Phone, bob: Phone) -> None:
    booked = alice.client.post(
        "/api/v1/me/bookings", json={"asset_tag": LASER, "starts_at": at(18), "minutes": 60}
    ).json()
    free_slot = bob.client.post(
        "/api/v1/me/waitlist", json={"asset_tag": LASER, "starts_at": at(19), "ends_at": at(20)}
    )
    assert free_slot.json()["code"] == "slot_free"
    entry = bob.client.post(
        "/api/v1/me/waitlist", json={"asset_tag": LASER, "starts_at": at(18), "ends_at": at(19)}
    ).json()
    too_soon = bob.client.post(f"/api/v1/me/waitlist/{entry['id']}/accept")
    assert (too_soon.status_code, too_soon.json()["code"]) == (422, "offer_not_open")
    alice.client.post(f"/api/v1/me/bookings/{booked['id']}/cancel")
    offered = bob.client.get("/api/v1/me/waitlist").json()
    assert offered[0]["state"] == "offered"
    accepted = bob.client.post(f"/api/v1/me/waitlist/{entry['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["asset_tag"] == LASER
    assert [b["id"] for b in bob.client.get("/api/v1/me/bookings").json()] == [
        accepted.json()["id"]
    ]


def test_the_first_free_laser_anywhere(alice: Phone) -> None:
    first = alice.client.get("/api/v1/me/free/next", params={"category": "laser"})
    assert first.status_code == 200, first.text
    assert datetime.fromisoformat(first.json()["starts_at"]) >= NOW
    nothing = alice.client.get("/api/v1/me/free/next", params={"category": "no-such-thing"})
    assert nothing.status_code == 200
    assert nothing.json() is None


def test_the_ical_address_and_a_new_one(alice: Phone, live: str) -> None:
    assert alice.client.get("/api/v1/me/calendar").status_code == 405  # not shown twice
    first = alice.client.post("/api/v1/me/calendar").json()["url"]
    path = first.split("127.0.0.1:8750", 1)[-1]
    assert httpx.get(live + path).status_code == 200
    second = alice.client.post("/api/v1/me/calendar").json()["url"]
    assert second != first
    assert httpx.get(live + path).status_code == 404
    assert httpx.get(live + second.split("127.0.0.1:8750", 1)[-1]).status_code == 200


def test_a_revoked_token_is_refused_and_use_is_noted(
    api_engine: Engine, alice: Phone, live: str
) -> None:
    from inventory.maker_tokens import revoke_token

    assert alice.client.get("/api/v1/me/bookings").status_code == 200
    with session_scope(api_engine) as session:
        row = session.exec(select(MakerToken).where(MakerToken.maker_id == alice.maker_id)).one()
        assert row.last_used_at == NOW
        assert row.token_hash != alice.token
        assert alice.token not in row.token_hash
    with write_session(api_engine) as session:
        revoke_token(session, id_of(row), now=NOW, maker_id=alice.maker_id)
    refused = alice.client.get("/api/v1/me/bookings")
    assert (refused.status_code, refused.json()["code"]) == (401, "token_revoked")
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    nobody = httpx.get(f"{live}/api/v1/me/bookings")
    assert (nobody.status_code, nobody.json()["code"]) == (401, "token_missing")


def test_guessing_tokens_is_slowed_per_address(api_settings: Settings, api_engine: Engine) -> None:
    settings = api_settings.model_copy(
        update={"api": api_settings.api.model_copy(update={"failed_auth_per_minute": 3})}
    )
    with serving(create_app(settings, api_engine, clock=lambda: NOW)) as url:
        phone = make_phone(api_engine, url, "M00004", language="en")
        guesses = [
            httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer fdm_guess{n}"})
            for n in range(4)
        ]
        assert [g.status_code for g in guesses] == [401, 401, 401, 429]
        assert int(guesses[-1].headers["Retry-After"]) >= 1
        assert phone.client.get("/api/v1/me").status_code == 429, "the address is held back"
        phone.client.close()


def test_a_token_has_its_own_request_budget(api_settings: Settings, api_engine: Engine) -> None:
    settings = api_settings.model_copy(
        update={
            "api": api_settings.api.model_copy(
                update={"maker_requests_per_second": 0.01, "maker_burst": 2}
            )
        }
    )
    with serving(create_app(settings, api_engine, clock=lambda: NOW)) as url:
        phone = make_phone(api_engine, url, "M00005", language="fr")
        codes = [phone.client.get("/api/v1/me").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        refused = phone.client.get("/api/v1/me")
        assert refused.json()["message"].startswith("Trop de")
        phone.client.close()
