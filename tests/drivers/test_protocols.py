"""The pure line parsers: what real firmware says, and noise that must never crash them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.protocols import grbl, marlin, meter


def test_grbl_reads_a_laser_status_report() -> None:
    line = "<Run|WPos:1.204,0.000,0.000|Bf:10,128|FS:150,100|Pn:PXYZRHS|Ov:100,100,100|A:C>"
    status = grbl.parse_line(line)
    assert status == grbl.Status(
        state="Run",
        feed=150.0,
        spindle=100.0,
        work_position=(1.204, 0.0, 0.0),
        accessories="C",
        pins="PXYZRHS",
        overrides=(100, 100, 100),
    )


def test_grbl_reads_substates_banner_and_answers() -> None:
    assert grbl.parse_line("<Hold:0|MPos:0.000,0.000,0.000|FS:0,0>") == grbl.Status(
        "Hold", substate=0, machine_position=(0.0, 0.0, 0.0)
    )
    assert grbl.parse_line("Grbl 1.1h ['$' for help]") == grbl.Banner("1.1h")
    assert grbl.parse_line("ok\r") == grbl.Ok()
    assert grbl.parse_line("error:20") == grbl.Error(20)
    assert grbl.parse_line("ALARM:3") == grbl.Alarm(3)
    assert grbl.parse_line("[MSG:'$H'|'$X' to unlock]") == grbl.Feedback(
        "MSG", "'$H'|'$X' to unlock"
    )
    assert grbl.parse_line("$32=1") == grbl.Setting(32, "1")


def test_grbl_skips_broken_reports() -> None:
    for line in ("<Run|FS:abc,1>", "<|>", "<Run|MPos:1,x>", "error:x", "ALARM:", "\x00\xff", ""):
        assert isinstance(grbl.parse_line(line), grbl.Unknown), line


def test_marlin_reads_sd_printing() -> None:
    assert marlin.parse_line("SD printing byte 323/1368") == marlin.SdProgress(323, 1368)
    assert marlin.parse_line("Not SD printing") == marlin.NotSdPrinting()
    assert marlin.parse_line("Done printing file") == marlin.DonePrinting()
    assert marlin.parse_line("File opened: fabdesk_test.gcode  Size: 1368") == marlin.FileOpened(
        "fabdesk_test.gcode", 1368
    )
    assert marlin.parse_line("Current file: BENCHY~1.GCO benchy.gcode") == marlin.CurrentFile(
        "benchy.gcode"
    )
    assert marlin.parse_line("Current file: (no file)") == marlin.CurrentFile(None)
    assert marlin.parse_line("echo:Print time: 1h 2m 3s") == marlin.PrintTime(3723.0)


def test_marlin_reads_temperatures_and_failures() -> None:
    reading = marlin.parse_line("ok T:21.30 /0.00 B:21.30 /0.00 @:64")
    assert reading == marlin.Temperatures({"T": (21.3, 0.0), "B": (21.3, 0.0)})
    assert marlin.parse_line("Error:Thermal Runaway, system stopped! Heater_ID: 0") == (
        marlin.Failure("Thermal Runaway, system stopped! Heater_ID: 0")
    )
    # A resend request heals itself: not a fault.
    assert isinstance(marlin.parse_line("Error:checksum mismatch, Last Line: 12"), marlin.Other)
    assert marlin.parse_line("echo:busy: processing") == marlin.Busy()


def test_meter_reads_its_protocol_with_and_without_checksums() -> None:
    assert meter.parse_line("ON") == meter.On()
    assert meter.parse_line("OFF\r") == meter.Off()
    assert meter.parse_line("W 1234.5") == meter.Power(1234.5)
    assert meter.parse_line("FABMETER 1 laser-2") == meter.Hello(1, "laser-2")
    assert meter.parse_line(meter.checksum("ON")) == meter.On()
    assert isinstance(meter.parse_line("ON*00"), meter.Unknown)
    for line in ("W nan", "W -3", "W inf", "ONN", "W", "FABMETER x"):
        assert isinstance(meter.parse_line(line), meter.Unknown), line


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.binary(max_size=120).map(lambda b: b.decode("latin-1")))
def test_no_parser_raises_on_noise(line: str) -> None:
    grbl.parse_line(line)
    marlin.parse_line(line)
    meter.parse_line(line)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["Idle", "Run", "Hold:0", "Jog", "Alarm", "Door:1"]),
    st.floats(0, 10000, allow_nan=False),
    st.floats(0, 1000, allow_nan=False),
)
def test_grbl_status_round_trip(state: str, feed: float, power: float) -> None:
    status = grbl.parse_line(f"<{state}|MPos:1.000,2.000,0.000|FS:{feed:.0f},{power:.0f}>")
    assert isinstance(status, grbl.Status)
    assert status.state == state.partition(":")[0]
    assert status.feed == round(feed)
    assert status.spindle == round(power)
