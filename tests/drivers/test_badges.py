"""Badge readers, the interlock and the offline decision, with real parts: python-evdev's own
`InputEvent`s (and a `UInput` virtual keyboard where the kernel offers /dev/uinput), an RDM6300
simulator on a pty, gpiozero's MockFactory pins, a Shelly stand-in over real HTTP."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from evdev import InputEvent, ecodes
from gpiozero.pins.mock import MockFactory

import fabdesk.wire as server
from drivers.badges import Debounce, KeyboardDecoder, Rdm6300Decoder, Rdm6300Reader, rdm6300_frame
from drivers.gate import Gate, decide_offline
from drivers.interlock import GpioRelay, Interlock, ShellyRelay
from drivers.outbox import Outbox
from drivers.uplink import make_client
from drivers.wire import ALLOW, AllowedBadge, AllowList, BookedSlot, badge_digest
from hardware.simulators.badge_reader import BadgeReader
from tests.drivers.conftest import wait_until
from tests.drivers.ingest_peer import IngestPeer

NOW = datetime(2026, 11, 3, 13, 0, tzinfo=UTC)


def typed(text: str) -> list[InputEvent]:
    """The events a keyboard reader sends for `text` + Enter: key down, key up, sync."""
    events = []
    for char in [*text, "\n"]:
        code = ecodes.KEY_ENTER if char == "\n" else ecodes.ecodes[f"KEY_{char.upper()}"]
        for value in (1, 0):
            events.append(InputEvent(0, 0, ecodes.EV_KEY, code, value))
            events.append(InputEvent(0, 0, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
    return events


def decode(events: list[InputEvent]) -> list[str]:
    decoder = KeyboardDecoder()
    found = (decoder.feed(e.type, e.code, e.value) for e in events)
    return [badge for badge in found if badge]


def test_a_keyboard_reader_types_a_badge_decoded_from_real_input_events() -> None:
    assert decode(typed("04a1b2c3d4")) == ["04A1B2C3D4"]
    assert decode(typed("0004613527") + typed("0A1B")) == ["0004613527", "0A1B"]
    keypad = [InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_KP7, 1)]
    keypad += [InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_KPENTER, 1)]
    assert decode(keypad) == ["7"]
    assert decode([InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_ENTER, 1)]) == []


@pytest.mark.skipif(
    not os.path.exists("/dev/uinput"), reason="no /dev/uinput here (kernel module not loaded)"
)
def test_a_virtual_keyboard_types_a_badge_into_the_grabbed_reader() -> None:
    from evdev import UInput

    from drivers.badges import KeyboardReader

    read: list[str] = []
    with UInput(name="fabdesk-test-reader") as keyboard:
        reader = KeyboardReader(str(keyboard.device.path), read.append, repeat_seconds=0)
        reader.start()
        try:
            assert reader.ready.wait(5)
            for event in typed("04a1b2c3d4"):
                keyboard.write(event.type, event.code, event.value)
            keyboard.syn()
            wait_until(lambda: read, timeout=5)
        finally:
            reader.stop()
    assert read == ["04A1B2C3D4"]


def test_rdm6300_frames_decode_to_hex_or_to_the_number_keyboard_readers_type() -> None:
    frame = rdm6300_frame(bytes.fromhex("0A0046663F"))
    assert Rdm6300Decoder().feed(frame) == ["0A0046663F"]
    assert Rdm6300Decoder("decimal").feed(frame) == [f"{0x0046663F:010d}"]
    decoder = Rdm6300Decoder()
    torn = decoder.feed(frame[:5]) + decoder.feed(frame[5:] + b"noise" + frame)
    assert torn == ["0A0046663F", "0A0046663F"]
    bad = bytearray(frame)
    bad[-2] = ord("0") if bad[-2] != ord("0") else ord("1")
    assert Rdm6300Decoder().feed(bytes(bad)) == []


def test_a_card_held_on_the_reader_is_one_presentation() -> None:
    clock = [0.0]
    debounce = Debounce(2.0, lambda: clock[0])
    assert debounce.fresh("A")
    clock[0] = 1.0
    assert not debounce.fresh("A")
    assert debounce.fresh("B")
    clock[0] = 2.5
    assert not debounce.fresh("B"), "still held: its frames repeat"
    clock[0] = 5.0
    assert debounce.fresh("B"), "taken away and presented again"


def test_the_serial_reader_reads_an_rdm6300_on_a_pty(tmp_path: Path) -> None:
    read: list[str] = []
    with BadgeReader(tmp_path / "ttyBADGE") as simulated:
        reader = Rdm6300Reader(simulated.port, read.append, repeat_seconds=1.0)
        reader.start()
        try:
            assert reader.ready.wait(5)
            simulated.present("0A0046663F", repeats=4)
            wait_until(lambda: read, timeout=5)
            simulated.garbage()
            simulated.present("1B00000001")
            wait_until(lambda: len(read) == 2, timeout=5)
        finally:
            reader.stop()
    assert read == ["0A0046663F", "1B00000001"]


@pytest.fixture
def pins() -> Iterator[MockFactory]:
    factory = MockFactory()
    yield factory
    factory.reset()


def test_the_interlock_powers_an_allowed_maker_and_never_cuts_a_job(pins: MockFactory) -> None:
    relay = GpioRelay(17, pin_factory=pins)
    pin = pins.pin(17)
    interlock = Interlock(relay, grace=timedelta(minutes=10))
    assert pin.state == 0
    interlock.grant("CARD", NOW + timedelta(hours=1))
    assert pin.state == 1
    interlock.tick(NOW + timedelta(hours=1, minutes=5), busy=False)
    assert pin.state == 1, "the grace period"
    interlock.tick(NOW + timedelta(hours=1, minutes=11), busy=True)
    assert pin.state == 1, "a job in progress is never cut"
    interlock.tick(NOW + timedelta(hours=1, minutes=12), busy=False)
    assert pin.state == 0
    assert interlock.holder is None
    relay.close()


def test_badge_out_switches_off_once_idle_and_a_bypass_lasts_until_it(pins: MockFactory) -> None:
    relay = GpioRelay(4, active_high=False, pin_factory=pins)
    pin = pins.pin(4)
    interlock = Interlock(relay, grace=timedelta(0))
    interlock.grant("MANAGER", None)  # bypass: no end
    assert pin.state == 0, "active low: on"
    interlock.tick(NOW + timedelta(days=1), busy=False)
    assert pin.state == 0
    assert not interlock.badge_out("SOMEONE ELSE")
    assert interlock.badge_out("MANAGER")
    interlock.tick(NOW, busy=True)
    assert pin.state == 0
    interlock.tick(NOW, busy=False)
    assert pin.state == 1
    relay.close()


class ShellyPlug:
    """A stand-in for a Shelly plug's local HTTP API (Gen1 and Gen2 paths)."""

    def __init__(self) -> None:
        self.on = False
        self.requests: list[str] = []
        self.failing = False
        plug = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                plug.requests.append(self.path)
                if plug.failing:
                    self.send_response(500)
                    self.end_headers()
                    return
                if self.path.startswith("/relay/0?turn="):
                    plug.on = self.path.endswith("=on")
                elif self.path.startswith("/rpc/Switch.Set?id=0&on="):
                    plug.on = self.path.endswith("=true")
                body = b'{"ison": %s}' % (b"true" if plug.on else b"false")
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("generation", [1, 2])
def test_a_shelly_plug_is_switched_through_its_local_api(generation: int) -> None:
    plug = ShellyPlug()
    try:
        relay = ShellyRelay(httpx.Client(base_url=plug.url), generation=generation)
        interlock = Interlock(relay, grace=timedelta(0))
        plug.failing = True
        interlock.grant("CARD", NOW)
        assert not plug.on
        assert not interlock.powered
        plug.failing = False
        interlock.tick(NOW - timedelta(minutes=1), busy=False)  # retried
        assert plug.on
        interlock.tick(NOW, busy=False)
        assert not plug.on
        relay.close()
    finally:
        plug.close()
    prefix = "/relay/0?turn=" if generation == 1 else "/rpc/Switch.Set?id=0&on="
    assert all(path.startswith(prefix) for path in plug.requests)


def allow_list(**changes: Any) -> AllowList:
    salt = "pepper"
    listed: list[tuple[str, int, dict[str, Any]]] = [
        ("AAA", 1, {}),
        ("OLD", 2, {"expires_on": date(2026, 11, 2)}),
        ("LAPSED", 3, {"lapses_on": date(2026, 11, 3)}),
        ("SUSP", 4, {"suspended_until": NOW + timedelta(days=1)}),
        ("BOSS", 5, {"manager": True}),
        ("BBB", 6, {}),
    ]
    slot = BookedSlot(
        maker_id=6,
        booking_id=9,
        starts_at=NOW + timedelta(minutes=30),
        ends_at=NOW + timedelta(hours=2),
    )
    values: dict[str, Any] = {
        "equipment_tag": "CF1-LAS-001",
        "generated_at": NOW,
        "salt": salt,
        "machine_status": "in_service",
        "walk_ins": True,
        "timezone": "Europe/Brussels",
        "badges": [
            AllowedBadge(badge_hash=badge_digest(salt, badge), maker_id=maker, **more)
            for badge, maker, more in listed
        ],
        "bookings": [slot],
    }
    return AllowList(**(values | changes))


def test_offline_the_allow_list_applies_the_servers_rules() -> None:
    walk_in = timedelta(hours=1)
    listed = allow_list()

    def result(badge: str, at: datetime = NOW, allowed: AllowList | None = listed) -> str:
        return decide_offline(allowed, badge, at, walk_in=walk_in).result

    free = decide_offline(listed, "aaa ", NOW, walk_in=walk_in)
    assert (free.result, free.maker_id, free.offline) == (ALLOW, 1, True)
    assert free.until == NOW + timedelta(minutes=30), "a walk-in ends at the next booking"
    assert result("NOBODY") == "badge_unknown"
    assert result("OLD") == "not_certified"
    assert result("LAPSED") == "training_lapsed"
    assert result("SUSP") == "maker_suspended"
    assert result("AAA", NOW + timedelta(hours=1)) == "machine_booked"
    theirs = decide_offline(listed, "BBB", NOW + timedelta(hours=1), walk_in=walk_in)
    assert (theirs.result, theirs.until) == (ALLOW, NOW + timedelta(hours=2))
    assert decide_offline(listed, "BOSS", NOW + timedelta(hours=1), walk_in=walk_in).bypass
    assert result("AAA", allowed=allow_list(machine_status="to_check")) == "machine_to_check"
    assert result("AAA", allowed=allow_list(machine_status="out_of_order")) == "machine_unavailable"
    assert result("AAA", allowed=allow_list(walk_ins=False)) == "walk_in_not_allowed"
    assert result("AAA", allowed=None) == "allow_list_missing"


def test_the_gate_keeps_its_allow_list_and_decides_alone_when_the_server_is_gone(
    ingest: IngestPeer, tmp_path: Path
) -> None:
    badges = [AllowedBadge(badge_hash=badge_digest("salt", "AAA"), maker_id=1)]
    listed = allow_list(salt="salt", badges=badges, bookings=[])
    ingest.allow_list = server.AllowList.model_validate_json(listed.model_dump_json())
    clock = [NOW]
    shown = tmp_path / "shown.txt"
    hook = ["sh", "-c", f'echo "$0 $1" >> {shown}']

    def gate(url: str, outbox: Outbox) -> Gate:
        return Gate(
            make_client(url, "device-token", 2),
            outbox,
            clock=lambda: clock[0],
            validity=timedelta(minutes=5),
            walk_in=timedelta(hours=1),
            refresh_seconds=300,
            hook=hook,
        )

    with Outbox(tmp_path / "o.db") as outbox:
        assert gate(ingest.url, outbox).refresh()
    ingest.stop()
    with Outbox(tmp_path / "o.db") as outbox:  # the driver restarts, the server is gone
        alone = gate(ingest.url, outbox)
        assert not alone.refresh()
        verdict = alone.present("AAA")
        assert verdict is not None
        assert (verdict.result, verdict.maker_id, verdict.offline) == (ALLOW, 1, True)
        assert alone.session_badge(NOW + timedelta(minutes=4)) == ("AAA", ALLOW)
        assert alone.session_badge(NOW + timedelta(minutes=6)) is None
        refused = alone.present("ZZZ")
        assert refused is not None
        assert refused.result == "badge_unknown"
    wait_until(lambda: shown.exists() and "badge_unknown" in shown.read_text(), timeout=5)
