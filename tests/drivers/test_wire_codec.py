"""The driver's msgspec codec (drivers.wire) and the server's pydantic models (fabdesk.wire) are
one schema: the same messages with the same fields, every event the driver encodes validates on
the server, and every answer the server encodes decodes in the driver."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import drivers.wire as driver
import fabdesk.wire as server
from drivers.outbox import Outbox
from drivers.uplink import Uplink, make_client
from tests.drivers.ingest_peer import IngestPeer

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
SHARED = [
    "Readings", "Event", "BatchAck", "MachineContext", "Refusal", "BadgeQuestion",
    "BadgeAnswer", "AllowedBadge", "BookedSlot", "AllowList",
]  # fmt: skip


@pytest.mark.parametrize("name", SHARED)
def test_both_codecs_know_the_same_fields(name: str) -> None:
    ours = getattr(driver, name).__struct_fields__
    theirs = tuple(getattr(server, name).model_fields)
    assert ours == theirs


def full_event(**changes: object) -> driver.Event:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "kind": driver.EventKind.SESSION_STARTED,
        "session_id": uuid.uuid4(),
        "device_time": NOW,
        "readings": driver.Readings(
            active_seconds=12.5,
            job_name="box.svg",
            material_mm=1234.5,
            material_g=3.7,
            outcome=driver.Outcome.DONE,
            state=driver.MachineState.RUNNING,
            detail="ALARM:1",
        ),
        "outbox_backlog": 3,
        "badge": "0A0046663F",
        "offline_decision": driver.ALLOW,
    }
    return driver.Event(**(values | changes))  # type: ignore[arg-type]  # test values


def test_events_the_driver_encodes_validate_on_the_server() -> None:
    events = [
        full_event(),
        full_event(kind=driver.EventKind.HEARTBEAT, session_id=None, badge=None),
        driver.Event(id=uuid.uuid4(), kind=driver.EventKind.FAULT, device_time=NOW),
        full_event(device_time=NOW.astimezone(ZoneInfo("Europe/Brussels"))),
    ]
    for event in events:
        body = event.model_dump_json()
        checked = server.Event.model_validate_json(body)
        assert checked.device_time == event.device_time
        assert json.loads(checked.model_dump_json())["id"] == str(event.id)
        assert driver.Event.model_validate_json(checked.model_dump_json()) == event


def test_a_batch_as_the_uplink_sends_it_validates_as_an_event_batch(tmp_path: Path) -> None:
    peer = IngestPeer().start()
    try:
        with Outbox(tmp_path / "o.db") as outbox:
            outbox.append([full_event(), full_event(badge=None, offline_decision=None)])
            Uplink(make_client(peer.url, "device-token", 5), outbox).send_once()
        assert len(peer.stored()) == 2, "the stand-in validates with fabdesk.wire.EventBatch"
        assert peer.sent_at[0] is not None
    finally:
        peer.stop()


def test_the_servers_answers_decode_in_the_driver() -> None:
    answers: list[server.Message] = [
        server.BatchAck(accepted=[uuid.uuid4()], duplicates=[]),
        server.MachineContext(equipment_tag="CF1-LAS-01", booking_id=3, starts_at=NOW),
        server.Refusal(code="token", message="bad device token"),
        server.BadgeAnswer(
            result="allow", maker_id=7, booking_id=9, ends_at=NOW, bypass=False, message="Welkom"
        ),
        server.AllowList(
            equipment_tag="CF1-LAS-01",
            generated_at=NOW,
            salt="s",
            machine_status="in_service",
            walk_ins=True,
            timezone="Europe/Brussels",
            badges=[
                server.AllowedBadge(
                    badge_hash="ab" * 32,
                    maker_id=7,
                    expires_on=date(2027, 1, 31),
                    lapses_on=None,
                    suspended_until=NOW + timedelta(days=2),
                    manager=True,
                )
            ],
            bookings=[server.BookedSlot(maker_id=7, booking_id=9, starts_at=NOW, ends_at=NOW)],
        ),
    ]
    for answer in answers:
        ours = getattr(driver, type(answer).__name__).model_validate_json(answer.model_dump_json())
        assert json.loads(ours.model_dump_json()) == json.loads(answer.model_dump_json())


def test_a_newer_servers_extra_fields_are_ignored_by_the_driver() -> None:
    body = b'{"result": "allow", "maker_id": 1, "colour": "green"}'
    assert driver.BadgeAnswer.model_validate_json(body).allowed
    with pytest.raises(driver.WireError):
        driver.BadgeAnswer.model_validate_json(b'{"maker_id": 1}')


def test_an_allow_list_without_its_sites_zone_is_refused_by_the_driver() -> None:
    """The driver takes the machine's zone from the server, never a zone of its own: an
    allow-list without one is no allow-list (the gate then says `allow_list_missing`)."""
    sent = server.AllowList(
        equipment_tag="CF1-LAS-01", generated_at=NOW, salt="s", machine_status="in_service",
        walk_ins=True, timezone="America/New_York",
    )  # fmt: skip
    assert driver.AllowList.model_validate_json(sent.model_dump_json()).timezone == (
        "America/New_York"
    )
    without = {k: v for k, v in json.loads(sent.model_dump_json()).items() if k != "timezone"}
    with pytest.raises(driver.WireError):
        driver.AllowList.model_validate_json(json.dumps(without).encode())
