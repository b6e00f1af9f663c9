"""The outbox keeps every event until acknowledged; the uplink obeys every answer of the server."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from drivers.outbox import Clocks, Outbox
from drivers.uplink import TOKEN_RECHECK_SECONDS, Backoff, Outcome, Uplink, make_client
from drivers.wire import Event, EventKind, Readings
from tests.drivers.ingest_peer import IngestPeer, Scripted

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def event(kind: EventKind = EventKind.SESSION_PROGRESS, n: int = 0) -> Event:
    return Event(
        id=uuid4(),
        kind=kind,
        session_id=None if kind in (EventKind.HEARTBEAT, EventKind.FAULT) else UUID(int=1),
        device_time=T0 + timedelta(seconds=n),
        readings=Readings(active_seconds=float(n)),
        outbox_backlog=0 if kind is EventKind.HEARTBEAT else None,
    )


def test_outbox_is_wal_with_full_sync_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    events = [event(n=n) for n in range(5)]
    with Outbox(path) as outbox:
        outbox.append(events, state={"session": {"id": "x"}})
        assert outbox._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert outbox._db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    with Outbox(path) as outbox:
        assert outbox.events() == events
        assert outbox.get_state("session") == {"id": "x"}
        assert outbox.acknowledge([events[0].id, events[2].id, uuid4()]) == 2
        assert [p.id for p in outbox.pending(10)] == [events[1].id, events[3].id, events[4].id]
        outbox.append([], state={"session": None})
        assert outbox.get_state("session") is None


def test_only_the_newest_unsent_heartbeat_is_kept(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as outbox:
        beats = [event(EventKind.HEARTBEAT, n) for n in range(3)]
        usage = event()
        outbox.append([beats[0], usage])
        outbox.append([beats[1]])
        outbox.append([beats[2]])
        assert [e.id for e in outbox.events()] == [usage.id, beats[2].id]


def test_the_size_bound_drops_heartbeats_and_faults_never_usage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Outbox(tmp_path / "o.db", max_events=100) as outbox:
        faults = [event(EventKind.FAULT, n) for n in range(50)]
        outbox.append(faults)
        usage = [event(n=n) for n in range(120)]
        with caplog.at_level(logging.ERROR):
            outbox.append(usage)
        assert outbox.backlog() == 120
        assert [e.id for e in outbox.events()] == [e.id for e in usage]
        assert "outbox_over_bound" in caplog.text


def test_a_transaction_is_all_or_nothing(tmp_path: Path) -> None:
    with Outbox(tmp_path / "o.db") as outbox:
        good = event()
        outbox.append([good])
        outbox._db.execute(
            "CREATE TRIGGER t BEFORE INSERT ON state BEGIN SELECT RAISE(ABORT, 'x'); END"
        )
        with pytest.raises(sqlite3.IntegrityError):
            outbox.append([event()], state={"session": {"a": 1}})
        assert outbox.events() == [good]


def test_backoff_grows_exponentially_under_full_jitter() -> None:
    backoff = Backoff(base=1, cap=60, uniform=lambda low, high: high)
    assert [backoff.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    backoff.reset()
    assert backoff.next_delay() == 1
    lowest = Backoff(base=1, cap=60, uniform=lambda low, high: low)
    assert lowest.next_delay() == 0.1


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox.db")


def received(peer: IngestPeer) -> list[Event]:
    """What the server stand-in stored (validated by the server's pydantic models), read back
    into the driver's own structs to compare with what the driver wrote."""
    return [Event.model_validate_json(e.model_dump_json()) for e in peer.stored()]


def uplink_for(peer: IngestPeer, outbox: Outbox, token: str = "device-token", **kw: int) -> Uplink:
    return Uplink(make_client(peer.url, token, 5), outbox, uniform=lambda a, b: b, **kw)


def test_sent_events_leave_the_outbox_in_order(ingest: IngestPeer, outbox: Outbox) -> None:
    events = [event(n=n) for n in range(7)]
    outbox.append(events)
    uplink = uplink_for(ingest, outbox, batch_events=3)
    results = [uplink.send_once() for _ in range(4)]
    assert [r.outcome for r in results] == [Outcome.SENT] * 3 + [Outcome.IDLE]
    assert received(ingest) == events
    assert outbox.backlog() == 0


def test_a_lost_acknowledgement_is_harmless(ingest: IngestPeer, outbox: Outbox) -> None:
    events = [event(n=n) for n in range(3)]
    outbox.append(events)
    # The server stores the batch but the answer never arrives (a 502 from a proxy).
    ingest.script.append(Scripted(502))
    uplink = uplink_for(ingest, outbox)
    assert uplink.send_once().outcome is Outcome.RETRY
    uplink.send_once()
    assert received(ingest) == events  # once each, although sent twice
    assert outbox.backlog() == 0


def test_server_errors_back_off_and_log_once(
    ingest: IngestPeer, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    outbox.append([event()])
    ingest.script += [Scripted(503), Scripted(500), Scripted(503)]
    uplink = uplink_for(ingest, outbox)
    with caplog.at_level(logging.WARNING):
        delays = [uplink.send_once().delay for _ in range(3)]
        assert uplink.send_once().outcome is Outcome.SENT
    assert delays == [1, 2, 4]
    assert caplog.text.count("uplink_failing") == 1
    assert caplog.text.count("uplink_recovered") == 1


def test_connection_refused_is_retried(outbox: Outbox) -> None:
    outbox.append([event()])
    uplink = Uplink(make_client("http://127.0.0.1:9", "t", 1), outbox, uniform=lambda a, b: b)
    result = uplink.send_once()
    assert result.outcome is Outcome.RETRY
    assert result.delay == 1
    assert outbox.backlog() == 1


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_obeyed(ingest: IngestPeer, outbox: Outbox, status: int) -> None:
    outbox.append([event()])
    ingest.script.append(Scripted(status, headers={"Retry-After": "7"}))
    result = uplink_for(ingest, outbox).send_once()
    assert (result.outcome, result.delay) == (Outcome.RETRY, 7)
    assert outbox.backlog() == 1


def test_a_forbidden_token_is_treated_as_rejected(ingest: IngestPeer, outbox: Outbox) -> None:
    outbox.append([event()])
    ingest.script.append(Scripted(403, b'{"code":"forbidden","message":"another machine"}'))
    uplink = uplink_for(ingest, outbox)
    assert uplink.send_once().delay == TOKEN_RECHECK_SECONDS
    assert uplink.token_rejected
    assert uplink.send_once().outcome is Outcome.SENT
    assert not uplink.token_rejected


def test_a_rejected_token_stops_sending_and_says_so_once(
    ingest: IngestPeer, outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    outbox.append([event()])
    uplink = uplink_for(ingest, outbox, token="revoked")
    with caplog.at_level(logging.ERROR):
        results = [uplink.send_once() for _ in range(3)]
    assert {r.delay for r in results} == {TOKEN_RECHECK_SECONDS}
    assert caplog.text.count("uplink_token_rejected") == 1
    assert uplink.token_rejected
    assert outbox.backlog() == 1


def test_too_big_batches_are_split(ingest: IngestPeer, outbox: Outbox) -> None:
    events = [event(n=n) for n in range(10)]
    outbox.append(events)
    ingest.max_events = 3
    uplink = uplink_for(ingest, outbox, batch_events=10)
    for _ in range(20):
        if uplink.send_once().outcome is Outcome.IDLE:
            break
    assert received(ingest) == events
    assert (413, 10) in ingest.requests


def test_a_refused_event_is_set_aside_not_lost(ingest: IngestPeer, outbox: Outbox) -> None:
    events = [event(n=n) for n in range(4)]
    outbox.append(events)
    refusal = b'{"code":"bad_event","message":"session_id missing"}'
    # The whole batch, then its halves, are refused until the one bad event is alone.
    ingest.script += [Scripted(422, refusal), Scripted(422, refusal), Scripted(422, refusal)]
    uplink = uplink_for(ingest, outbox, batch_events=4)
    for _ in range(10):
        if uplink.send_once().outcome is Outcome.IDLE:
            break
    assert outbox.refused_count() == 1
    assert received(ingest) == events[1:]
    row = outbox._db.execute("SELECT id, reason FROM refused").fetchone()
    assert row == (str(events[0].id), "bad_event: session_id missing")


def test_context_proves_the_token(ingest: IngestPeer) -> None:
    from drivers.errors import TokenRejected
    from drivers.uplink import fetch_context

    with make_client(ingest.url, "device-token", 5) as client:
        assert fetch_context(client).equipment_tag == "CF1-LAS-01"
    with make_client(ingest.url, "nope", 5) as client, pytest.raises(TokenRejected):
        fetch_context(client)


class PiClocks:
    """A Raspberry Pi's clocks: the wall clock starts in 1970 and NTP sets it later; the
    monotonic clock only counts seconds since boot."""

    def __init__(self) -> None:
        self.since_boot = 30.0
        self.wall_offset = datetime(1970, 1, 1, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.since_boot

    def wall(self) -> datetime:
        return self.wall_offset + timedelta(seconds=self.since_boot)

    def clocks(self, boot: str = "boot-1") -> Clocks:
        return Clocks(wall=self.wall, monotonic=self.monotonic, boot=boot)


def test_events_written_before_the_clock_jumped_are_redated_and_batches_say_sent_at(
    ingest: IngestPeer, tmp_path: Path
) -> None:
    pi = PiClocks()
    real_boot = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with Outbox(tmp_path / "o.db", clocks=pi.clocks()) as outbox:
        early = event(n=1).model_copy(update={"device_time": pi.wall()})
        outbox.append([early])
        pi.since_boot += 60
        pi.wall_offset = real_boot  # NTP answered
        late = event(n=2).model_copy(update={"device_time": pi.wall()})
        outbox.append([late])
        pi.since_boot += 5
        uplink_for(ingest, outbox).send_once()
    first, second = received(ingest)
    assert first.device_time == real_boot + timedelta(seconds=30), "re-dated from the boot"
    assert second.device_time == late.device_time, "written after the jump: left alone"
    assert ingest.sent_at == [real_boot + timedelta(seconds=95)]


def test_events_of_an_earlier_boot_or_a_small_slew_keep_their_time(
    ingest: IngestPeer, tmp_path: Path
) -> None:
    pi = PiClocks()
    pi.wall_offset = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    path = tmp_path / "o.db"
    with Outbox(path, clocks=pi.clocks("boot-1")) as outbox:
        before_reboot = event(n=1).model_copy(update={"device_time": pi.wall()})
        outbox.append([before_reboot])
    pi.since_boot = 10.0  # rebooted: the monotonic clock starts again
    with Outbox(path, clocks=pi.clocks("boot-2")) as outbox:
        slewed = event(n=2).model_copy(update={"device_time": pi.wall()})
        outbox.append([slewed])
        pi.wall_offset += timedelta(seconds=1)  # NTP slews by a second
        uplink_for(ingest, outbox).send_once()
    assert [e.device_time for e in received(ingest)] == [
        before_reboot.device_time,
        slewed.device_time,
    ]


def test_events_of_a_boot_on_a_set_clock_go_without_sent_at_while_the_clock_is_not_set(
    ingest: IngestPeer, tmp_path: Path
) -> None:
    """The Pi restarts at 1970 with events of its last boot unsent (dated right): a `sent_at`
    from 1970 would make the server move them by 56 years (then to their receipt time)."""
    pi = PiClocks()
    pi.wall_offset = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    path = tmp_path / "o.db"
    with Outbox(path, clocks=pi.clocks("boot-1")) as outbox:
        before = [event(n=n).model_copy(update={"device_time": pi.wall()}) for n in (1, 2)]
        outbox.append(before)
    pi.since_boot, pi.wall_offset = 10.0, datetime(1970, 1, 1, tzinfo=UTC)  # back, before NTP
    with Outbox(path, clocks=pi.clocks("boot-2")) as outbox:
        after = event(n=3).model_copy(update={"device_time": pi.wall()})
        outbox.append([after])
        uplink = uplink_for(ingest, outbox)
        uplink.send_once()
        uplink.send_once()
        assert outbox.backlog() == 0
    assert ingest.sent_at == [None, pi.wall()]
    assert [e.device_time for e in received(ingest)] == [e.device_time for e in [*before, after]]
