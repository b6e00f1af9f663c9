"""End to end with OctoPrint's own records: the real `fabdesk-driver` -> the real server.

A slicer's upload-and-print, the driver killed (-9) mid-print, the print ending while it is down,
the driver started again: the server holds one session, done, with OctoPrint's print time and the
filament of OctoPrint's analysis.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.octoprint import grams
from fabdesk.db import Engine
from fabdesk.wire import Outcome
from tests.api.conftest import DeviceToken
from tests.drivers.conftest import wait_until
from tests.drivers.octoprint_peer import OctoPrint, gcode
from tests.drivers.test_daemon_faults import DriverProcess
from tests.drivers.test_end_to_end import (  # noqa: F401 (the server fixture)
    Server,
    exactly,
    finished,
    ingested,
    octoprint_config,
    server,
    sessions,
)

pytestmark = [pytest.mark.slow, pytest.mark.octoprint, pytest.mark.timeout(900)]


@pytest.mark.parametrize("seeded_url", ["sqlite"], indirect=True)
def test_a_print_that_ends_while_the_driver_is_killed_is_charged_octoprints_record(
    tmp_path: Path,
    server: Server,  # noqa: F811
    api_engine: Engine,
    device: DeviceToken,
    octoprint: OctoPrint,
) -> None:
    extra = "progress_seconds = 0.5\nfilament_diameter_mm = 1.75\nfilament_density_g_cm3 = 1.24\n"
    config = octoprint_config(tmp_path, server, device, octoprint, extra)
    driver = DriverProcess(config)
    try:
        driver.start()
        wait_until(lambda: ingested(api_engine) > 0, timeout=20)  # its first heartbeat
        octoprint.upload_and_print("e2e.gcode", gcode(250))  # ~3 s
        wait_until(lambda: sessions(api_engine, device), timeout=30)
        driver.kill()
        octoprint.wait_state("Operational", timeout=60)
        wait_until(lambda: octoprint.record("e2e.gcode").get("prints", {}).get("last"))
        wait_until(lambda: octoprint.record("e2e.gcode").get("gcodeAnalysis"), timeout=30)
        record = octoprint.record("e2e.gcode")
        driver.start()
        wait_until(lambda: finished(api_engine, device, 1), timeout=60)
        (usage,) = exactly(api_engine, device, [Outcome.DONE])
    finally:
        driver.stop()
    assert usage.active_seconds == pytest.approx(record["prints"]["last"]["printTime"], abs=0.01)
    length = sum(tool["length"] for tool in record["gcodeAnalysis"]["filament"].values())
    assert usage.material_mm == pytest.approx(length, rel=0.01)
    assert usage.material_g == pytest.approx(grams(length, 1.75, 1.24), rel=0.01)
