"""The driver's budgets: parsing throughput, and its footprint over an hour-long GRBL job.

1. Parsing: recorded GRBL and Marlin traffic (benchmarks/data/, captured from the simulators'
   serial lines) parsed line by line (GRBL also mapped to an observation), compared to the line
   rate of 115,200 baud (11,520 bytes/s at 10 bits a byte). Goal >= 50x.
2. Footprint, real time: the real `fabdesk-driver` process polls a simulated laser running a long
   job at 5 polls/s for 60 s, sending to an ingest stand-in; CPU from /proc/PID/stat (user+system)
   after a 5 s warm-up, scaled to an hour; peak RSS from VmHWM. Goal <= 2 % of a core, <= 36 MB
   with a badge reader (a simulated RDM6300 on a pty, a card presented every 5 s, each asked
   of the server) and its allow-list (500 badges, refreshed every 10 s: far more often than
   the 5 minutes of a real lab). The process runs with the environment of the systemd unit
   (MALLOC_ARENA_MAX=2).
3. Footprint, compressed: the same driver polling as fast as the pty allows until it made
   18,000 polls (one machine-hour at 5 polls/s): the CPU seconds it took are the polling CPU of an
   hour of machine time (timers and heartbeats excluded, they are in the real-time number).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from drivers.machines import status_observation
from drivers.protocols import grbl, marlin
from fabdesk.wire import AllowedBadge, AllowList, badge_digest
from hardware.simulators.badge_reader import BadgeReader
from hardware.simulators.grbl_laser import GrblLaser
from tests.drivers.ingest_peer import IngestPeer

DATA = Path(__file__).parent / "data"
LINE_RATE = 115_200 / 10
TICKS = os.sysconf("SC_CLK_TCK")
POLLS_PER_HOUR = 5 * 3600
# As hardware/pi/fabdesk-driver@.service runs it: two malloc arenas, not one per thread.
UNIT_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}


def parsing() -> None:
    now = datetime.now(UTC)
    for name, parse in (
        ("grbl-laser.txt", lambda line: _grbl(now, line)),
        ("marlin-sd.txt", marlin.parse_line),
    ):
        raw = (DATA / name).read_bytes()
        lines = raw.decode("ascii", "replace").splitlines()
        rates = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(5):
                for line in lines:
                    parse(line)
            rates.append(5 * len(raw) / (time.perf_counter() - start))
        rate = statistics.median(rates)
        print(
            f"parse {name}: {len(lines)} lines, {rate / 1e6:.2f} MB/s = "
            f"{rate / LINE_RATE:.0f}x the 115,200 baud line rate (goal >= 50x)"
        )


def _grbl(now: datetime, line: str) -> object:
    reading = grbl.parse_line(line)
    if isinstance(reading, grbl.Status):
        return status_observation(now, reading)
    return reading


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _config(folder: Path, server: str, port: str, poll: float, badge_port: str | None) -> Path:
    path = folder / "driver.toml"
    badge = (
        f'[badge]\nreader = "rdm6300"\nport = "{badge_port}"\nallow_list_refresh_seconds = 10\n'
        if badge_port
        else ""
    )
    path.write_text(
        f"""
[server]
url = "{server}"
token = "device-token"
heartbeat_seconds = 60

[machine]
kind = "grbl"
port = "{port}"
poll_seconds = {poll}
progress_seconds = 60

[outbox]
path = "{folder / "outbox.db"}"

[log]
path = "{folder / "driver.log"}"

{badge}""",
        encoding="utf-8",
    )
    return path


def _allow_list(count: int) -> AllowList:
    salt = "bench"
    return AllowList(
        equipment_tag="CF1-LAS-01",
        generated_at=datetime.now(UTC),
        salt=salt,
        machine_status="in_service",
        walk_ins=True,
        timezone="Europe/Brussels",
        badges=[
            AllowedBadge(
                badge_hash=badge_digest(salt, f"{n:010X}"),
                maker_id=n,
                expires_on=date(2027, 6, 30),
                lapses_on=date(2027, 2, 1),
            )
            for n in range(count)
        ],
    )


def footprint(
    poll: float, *, seconds: float | None = None, polls: int | None = None, badges: bool = True
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        peer = IngestPeer().start()
        peer.allow_list = _allow_list(500)
        laser = GrblLaser(folder / "ttyGRBL").start()
        laser.stream("M4 S500\nG1 X100000 F600\n")  # ~2.8 hours of cutting
        reader = BadgeReader(folder / "ttyBADGE").start() if badges else None
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "fabdesk-driver"),
                "--config",
                str(_config(folder, peer.url, laser.port, poll, reader.port if reader else None)),
            ],
            env={**os.environ, **UNIT_ENVIRONMENT},
        )
        try:
            time.sleep(5)  # start-up and the first session events
            cpu0, reports0, t0 = _cpu_seconds(process.pid), laser.reports, time.monotonic()
            if seconds is not None:
                end = time.monotonic() + seconds
                while time.monotonic() < end:
                    if reader is not None:
                        reader.present("0A0046663F")  # asked of the server (a 404 here),
                    time.sleep(5)  # then decided from the allow-list
            else:
                assert polls is not None
                deadline = time.monotonic() + 110
                while laser.reports - reports0 < polls and time.monotonic() < deadline:
                    time.sleep(0.1)
            cpu = _cpu_seconds(process.pid) - cpu0
            made = laser.reports - reports0
            wall = time.monotonic() - t0
            rss = _peak_rss_mb(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)
            laser.stop()
            if reader is not None:
                reader.stop()
            peer.stop()
        what = "with a badge reader and a 500-badge allow-list" if badges else "no badge reader"
        if seconds is not None:
            print(
                f"footprint, real time, {what}: {made} polls in {wall:.0f} s "
                f"({made / wall:.1f}/s): "
                f"CPU {cpu:.2f} s -> {cpu / wall * 3600:.0f} s per machine-hour = "
                f"{cpu / wall * 100:.2f} % of one core (goal <= 2 %); peak RSS {rss:.1f} MB "
                f"(goal <= 36 MB)"
            )
        else:
            hour = cpu / made * POLLS_PER_HOUR
            print(
                f"footprint, compressed, {what}: {made} polls in {wall:.0f} s: CPU {cpu:.2f} s -> "
                f"{hour:.0f} s per machine-hour of 18,000 polls = {hour / 36:.2f} % of one core; "
                f"peak RSS {rss:.1f} MB"
            )


def tls_cost() -> None:
    """The benchmark's server is plain http on 127.0.0.1: what an https client adds."""
    code = (
        "import drivers.daemon\n"
        "from drivers.uplink import make_client\n"
        "def rss():\n"
        "    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS'))"
        ".split()[1]) / 1024\n"
        "a = rss(); plain = make_client('http://x', 't', 5); b = rss()\n"
        "tls = make_client('https://x', 't', 5); c = rss()\n"
        "print(f'{b - a:.2f} {c - b:.2f}')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **UNIT_ENVIRONMENT},
    )
    plain, tls = result.stdout.split()
    print(f"client memory: http {plain} MB; an https client adds {tls} MB more")


def main() -> None:
    parsing()
    tls_cost()
    footprint(0.2, seconds=60)
    footprint(0.0005, polls=POLLS_PER_HOUR)


if __name__ == "__main__":
    main()
