"""The API over real HTTP: uvicorn on 127.0.0.1, the wire contract the drivers rely on."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, func, select

from fabdesk.db import Engine, session_scope
from fabdesk.models import IngestedEvent, UsageSession
from fabdesk.settings import Settings
from fabdesk.usage.devices import revoke_device
from fabdesk.wire import MAX_BODY_BYTES, BatchAck, EventKind, MachineContext, Refusal
from tests.api.conftest import DeviceToken, serving
from tests.api.events import batch, event, job

NOW = datetime.now(UTC)


def stored_events(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(IngestedEvent)).one())


def refusal(response: httpx.Response, status: int) -> Refusal:
    assert response.status_code == status, response.text
    return Refusal.model_validate(response.json())


def test_post_a_batch_then_the_same_again(
    client: httpx.Client, device: DeviceToken, api_engine: Engine
) -> None:
    _, events = job(NOW - timedelta(minutes=20))
    first = client.post("/api/v1/ingest", json=batch(events), headers=device.headers)
    assert first.status_code == 200, first.text
    ack = BatchAck.model_validate(first.json())
    assert ack.accepted == [e.id for e in events]
    assert ack.duplicates == []
    again = BatchAck.model_validate(
        client.post("/api/v1/ingest", json=batch(events), headers=device.headers).json()
    )
    assert again.accepted == []
    assert again.duplicates == [e.id for e in events]
    assert stored_events(api_engine) == len(events)


def test_no_token_a_wrong_one_or_a_revoked_one_is_401(
    client: httpx.Client, device: DeviceToken, api_engine: Engine
) -> None:
    body = batch([event(EventKind.HEARTBEAT, NOW)])
    missing = client.post("/api/v1/ingest", json=body)
    assert refusal(missing, 401).code == "token_missing"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/v1/ingest", json=body, headers={"Authorization": "Bearer nope"})
    assert refusal(wrong, 401).code == "token_unknown"
    basic = client.post("/api/v1/ingest", json=body, headers={"Authorization": "Basic eDp5"})
    assert refusal(basic, 401).code == "token_missing"
    with session_scope(api_engine) as session:
        revoke_device(session, device.device_id, now=NOW)
    revoked = client.post("/api/v1/ingest", json=body, headers=device.headers)
    assert refusal(revoked, 401).code == "token_revoked"
    assert refusal(client.get("/api/v1/context", headers=device.headers), 401)
    assert stored_events(api_engine) == 0


def test_a_token_revoked_after_use_is_refused_once_the_cache_forgets_it(
    api_settings: Settings, api_engine: Engine, device: DeviceToken
) -> None:
    from fabdesk.api.app import create_app

    settings = api_settings.model_copy(
        update={"api": api_settings.api.model_copy(update={"device_cache_seconds": 0.3})}
    )
    with serving(create_app(settings, api_engine)) as url, httpx.Client(base_url=url) as client:
        assert client.get("/api/v1/context", headers=device.headers).status_code == 200
        with session_scope(api_engine) as session:
            revoke_device(session, device.device_id, now=NOW)
        time.sleep(0.4)
        refused = client.get("/api/v1/context", headers=device.headers)
        assert refusal(refused, 401).code == "token_revoked"


def test_another_machines_session_is_403(
    client: httpx.Client, device: DeviceToken, other_device: DeviceToken, api_engine: Engine
) -> None:
    _, events = job(NOW - timedelta(minutes=20))
    assert client.post("/api/v1/ingest", json=batch(events[:1]), headers=device.headers)
    response = client.post("/api/v1/ingest", json=batch(events[1:]), headers=other_device.headers)
    assert refusal(response, 403).code == "session_of_another_machine"
    assert stored_events(api_engine) == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "malformed_request"),
        (b'{"events": []}', "malformed_request"),
        (b'{"events": [{"id": "x"}]}', "malformed_request"),
        (b"[]", "malformed_request"),
    ],
)
def test_a_malformed_batch_is_422_and_writes_nothing(
    client: httpx.Client, device: DeviceToken, api_engine: Engine, body: bytes, code: str
) -> None:
    headers = {**device.headers, "Content-Type": "application/json"}
    response = client.post("/api/v1/ingest", content=body, headers=headers)
    assert refusal(response, 422).code == code
    assert stored_events(api_engine) == 0


def test_one_bad_event_refuses_the_whole_batch(
    client: httpx.Client, device: DeviceToken, api_engine: Engine
) -> None:
    good = event(EventKind.HEARTBEAT, NOW)
    bad = event(EventKind.SESSION_ENDED, NOW, None)
    response = client.post("/api/v1/ingest", json=batch([good, bad]), headers=device.headers)
    refused = refusal(response, 422)
    assert refused.code == "session_id_missing"
    assert str(bad.id) in refused.message
    assert stored_events(api_engine) == 0


def test_an_impossible_device_time_is_422_and_writes_nothing(
    client: httpx.Client, device: DeviceToken, api_engine: Engine
) -> None:
    ancient = event(EventKind.HEARTBEAT, datetime(462, 5, 23, 12, 28, tzinfo=UTC))
    response = client.post(
        "/api/v1/ingest",
        json=batch([event(EventKind.HEARTBEAT, NOW), ancient]),
        headers=device.headers,
    )
    assert refusal(response, 422).code == "device_time_out_of_range"
    assert stored_events(api_engine) == 0


def test_a_body_over_the_limit_is_413(client: httpx.Client, device: DeviceToken) -> None:
    huge = b'{"events": [' + b" " * MAX_BODY_BYTES + b"]}"
    response = client.post(
        "/api/v1/ingest",
        content=huge,
        headers={**device.headers, "Content-Type": "application/json"},
    )
    assert refusal(response, 413).code == "body_too_large"


def test_a_chunked_body_over_the_limit_is_413(live_url: str, device: DeviceToken) -> None:
    def chunks() -> object:
        for _ in range(MAX_BODY_BYTES // 10_000 + 2):
            yield b" " * 10_000

    with httpx.Client(base_url=live_url) as client:
        response = client.post(
            "/api/v1/ingest",
            content=chunks(),  # type: ignore[arg-type]
            headers={**device.headers, "Content-Type": "application/json"},
        )
    assert refusal(response, 413).code == "body_too_large"


def test_a_chunked_body_under_the_limit_is_read(live_url: str, device: DeviceToken) -> None:
    import json

    payload = json.dumps(batch([event(EventKind.HEARTBEAT, NOW)])).encode()

    def chunks() -> object:
        yield payload[:10]
        yield payload[10:]

    with httpx.Client(base_url=live_url) as client:
        response = client.post(
            "/api/v1/ingest",
            content=chunks(),  # type: ignore[arg-type]
            headers={**device.headers, "Content-Type": "application/json"},
        )
    assert response.status_code == 200, response.text


def test_over_the_rate_limit_is_429_with_retry_after(
    api_settings: Settings, api_engine: Engine, device: DeviceToken
) -> None:
    from fabdesk.api.app import create_app

    settings = api_settings.model_copy(
        update={
            "api": api_settings.api.model_copy(
                update={"device_requests_per_second": 0.5, "device_burst": 3}
            )
        }
    )
    with serving(create_app(settings, api_engine)) as url, httpx.Client(base_url=url) as client:
        answers = [
            client.get("/api/v1/context", headers=device.headers).status_code for _ in range(5)
        ]
        assert answers[:3] == [200, 200, 200]
        limited = client.get("/api/v1/context", headers=device.headers)
        assert refusal(limited, 429).code == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1


def test_the_context_names_the_devices_machine(client: httpx.Client, device: DeviceToken) -> None:
    response = client.get("/api/v1/context", headers=device.headers)
    assert response.status_code == 200, response.text
    context = MachineContext.model_validate(response.json())
    assert context.equipment_tag == device.equipment_tag
    assert context.booking_id is None


def test_health_and_ready(client: httpx.Client) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ok"}


def test_unknown_paths_and_methods_are_refusals(client: httpx.Client) -> None:
    assert refusal(client.get("/api/v1/nothing"), 404).code == "http_404"
    assert refusal(client.get("/api/v1/ingest"), 405).code == "http_405"


def test_manager_endpoints_need_a_manager_token(
    client: httpx.Client, device: DeviceToken, manager_token: str
) -> None:
    client.post(
        "/api/v1/ingest", json=batch([event(EventKind.HEARTBEAT, NOW)]), headers=device.headers
    )
    assert refusal(client.get("/api/v1/machines/status"), 401).code == "token_missing"
    assert refusal(client.get("/api/v1/devices", headers=device.headers), 401)
    manager = {"Authorization": f"Bearer {manager_token}"}
    statuses = client.get("/api/v1/machines/status", headers=manager).json()
    assert [s["equipment_tag"] for s in statuses] == [device.equipment_tag]
    listed = client.get("/api/v1/devices", headers=manager).json()
    assert [d["equipment_tag"] for d in listed] == [device.equipment_tag]
    assert device.token not in str(listed)
    assert listed[0]["token_hint"] == device.token[:10]


def test_no_token_ever_reaches_a_log_line(
    client: httpx.Client, device: DeviceToken, manager_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    _, events = job(NOW - timedelta(minutes=20))
    client.post("/api/v1/ingest", json=batch(events), headers=device.headers)
    client.post("/api/v1/ingest", json={"events": []}, headers=device.headers)
    client.get("/api/v1/context", headers={"Authorization": f"Bearer {device.token}x"})
    client.get("/api/v1/devices", headers={"Authorization": f"Bearer {manager_token}"})
    assert caplog.records, "the server logged nothing: the check would prove nothing"
    assert device.token not in caplog.text
    assert manager_token not in caplog.text


def test_sessions_are_built_over_http(
    client: httpx.Client, device: DeviceToken, api_engine: Engine
) -> None:
    session_id, events = job(NOW - timedelta(minutes=20), minutes=8)
    for one in reversed(events):
        client.post("/api/v1/ingest", json=batch([one]), headers=device.headers)
    with Session(api_engine) as session:
        [usage] = session.exec(select(UsageSession)).all()
    assert usage.uuid == session_id
    assert usage.active_seconds == 480.0
    assert usage.finished


def test_a_batch_with_the_same_event_twice_stores_it_once(
    client: httpx.Client, device: DeviceToken, api_engine: Engine
) -> None:
    beat = event(EventKind.HEARTBEAT, NOW)
    ack = client.post("/api/v1/ingest", json=batch([beat, beat]), headers=device.headers).json()
    assert ack == {"accepted": [str(beat.id)], "duplicates": []}
    assert stored_events(api_engine) == 1


def test_nul_characters_and_huge_backlogs_are_stored_as_the_database_can(
    client: httpx.Client, device: DeviceToken, api_engine: Engine
) -> None:
    session_id = uuid.uuid4()
    start = event(EventKind.SESSION_STARTED, NOW, session_id, job_name="bo\x00x.svg")
    fault = event(EventKind.FAULT, NOW, detail="\x00\x00", backlog=10**30)
    response = client.post("/api/v1/ingest", json=batch([start, fault]), headers=device.headers)
    assert response.status_code == 200, response.text
    with Session(api_engine) as session:
        [usage] = session.exec(select(UsageSession)).all()
    assert usage.job_name == "box.svg"


def test_a_random_session_uuid_is_fine(client: httpx.Client, device: DeviceToken) -> None:
    lone = event(EventKind.FAULT, NOW, uuid.uuid4(), detail="door open")
    assert client.post("/api/v1/ingest", json=batch([lone]), headers=device.headers).is_success
