"""The real OctoPrint (from PyPI) with its virtual printer, on 127.0.0.1, for the driver tests.

OctoPrint is installed once into `.octoprint-venv/` at the repository's root (gitignored), so a
second run starts at once; a clean clone (CI) installs it (~20 s, needs a C compiler for
netifaces). Headless as found in docs: no wizard, no online checks, no plugin that phones home,
a per-user application key written into the appkeys store.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".octoprint-venv"
REQUIREMENT = "OctoPrint>=1.11,<1.12"

CONFIG = """\
server:
  firstRun: false
  onlineCheck: {enabled: false}
  pluginBlacklist: {enabled: false}
  pythonEolCheck: {enabled: false}
  ipCheck: {enabled: false}
devel:
  cache: {preemptive: false}
plugins:
  _disabled: [announcements, discovery, errortracking, softwareupdate, tracking,
              pluginmanager, health_check, achievements]
  virtual_printer:
    enabled: true
    simulated_errors: []
    sendWait: false
"""


def octoprint_executable() -> Path:
    """The `octoprint` command of the throwaway venv, installing it on first use."""
    executable = VENV / "bin" / "octoprint"
    if not executable.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "--quiet", REQUIREMENT],
            check=True,
            timeout=900,
        )
    return executable


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gcode(moves: int, feed: int = 6000) -> bytes:
    """A print of `moves` 20 mm extruding moves (0.1 s of real time each at F6000 / 10 = 0.02 s)."""
    lines = ["G21", "G90", "M82", "G28", "G92 E0"]
    extruded = 0.0
    for index in range(moves):
        extruded += 0.8
        x = 20 if index % 2 == 0 else 0
        lines.append(f"G1 X{x} Y{index % 50} E{extruded:.2f} F{feed}")
    lines.append("M84")
    return ("\n".join(lines) + "\n").encode()


class OctoPrint:
    def __init__(self, basedir: Path) -> None:
        self.basedir = basedir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_key = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None
        self.executable = octoprint_executable()
        basedir.mkdir(parents=True, exist_ok=True)
        (basedir / "config.yaml").write_text(CONFIG, encoding="utf-8")
        subprocess.run(
            [
                str(self.executable),
                "-b",
                str(basedir),
                "user",
                "add",
                "fabdesk",
                "--password",
                secrets.token_hex(8),
                "--admin",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        appkeys = basedir / "data" / "appkeys"
        appkeys.mkdir(parents=True, exist_ok=True)
        (appkeys / "keys.yaml").write_text(
            f"fabdesk:\n- app_id: fabdesk-peer\n  api_key: {self.api_key}\n", encoding="utf-8"
        )
        self.client = httpx.Client(
            base_url=self.url, headers={"X-Api-Key": self.api_key}, timeout=10
        )

    def start(self) -> None:
        root = ["--iknowwhatimdoing"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(
            [
                str(self.executable),
                "serve",
                *root,
                "-b",
                str(self.basedir),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.client.get("/api/version").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, "OctoPrint exited at start"
            time.sleep(0.1)
        raise AssertionError("OctoPrint did not answer within 60 s")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        self.client.close()

    def connect_printer(self) -> None:
        response = self.client.post(
            "/api/connection", json={"command": "connect", "port": "VIRTUAL", "baudrate": 115200}
        )
        assert response.status_code == 204, response.text
        self.wait_state("Operational")

    def state(self) -> str:
        return str(self.client.get("/api/job").json().get("state"))

    def wait_state(self, wanted: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state() == wanted:
                return
            time.sleep(0.05)
        raise AssertionError(f"OctoPrint never reached {wanted!r} (now {self.state()!r})")

    def print_file(self, name: str, content: bytes) -> None:
        response = self.client.post(
            "/api/files/local",
            files={"file": (name, content, "application/octet-stream")},
            data={"select": "true", "print": "false"},
        )
        assert response.status_code == 201, response.text
        # Wait for the analysis, so the job carries its filament length from the start.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            info = self.client.get(f"/api/files/local/{name}").json()
            if info.get("gcodeAnalysis", {}).get("filament"):
                break
            time.sleep(0.05)
        response = self.client.post("/api/job", json={"command": "start"})
        assert response.status_code == 204, response.text

    def upload_and_print(self, name: str, content: bytes) -> None:
        """One request, as PrusaSlicer, Cura and OrcaSlicer send a job: OctoPrint starts the
        print at once and analyses the file only after it."""
        response = self.client.post(
            "/api/files/local",
            files={"file": (name, content, "application/octet-stream")},
            data={"select": "true", "print": "true"},
        )
        assert response.status_code == 201, response.text

    def record(self, name: str) -> dict[str, Any]:
        """OctoPrint's own record of a file: `prints.last`, `gcodeAnalysis`."""
        data: dict[str, Any] = self.client.get(f"/api/files/local/{name}").json()
        return data

    def cancel(self) -> None:
        response = self.client.post("/api/job", json={"command": "cancel"})
        assert response.status_code == 204, response.text
