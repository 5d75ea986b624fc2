"""The harness's own logic without QEMU (seconds, no root): the console parser, the failure
messages, the reporter unit, and RunningVm driven by a shell that prints a fake console."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.system.qemu import Nic
from tests.system.reporter import add_test_unit, parse_reports
from tests.system.running_vm import BootError, RunningVm, console_text

CONSOLE = (
    b"\x1bc\x1b[?7lSeaBIOS (version 1.16.2)\r\n"
    b"[    1.000000] Run /init as init process\r\n"
    b"[   14.100000] bash[312]: IDS2-TEST-BEGIN smoke uptime=14.05\r\n"
    b"\x1b[0;32m[   14.200000] bash[321]: IDS2-TEST smoke system_state=degraded\x1b[0m\r\n"
    b"[   14.300000] bash[321]: IDS2-TEST smoke failed_units=a.service,b.service\r\n"
    b"[   14.400000] bash[321]: IDS2-TEST smoke a free-form note\r\n"
    b"[   14.500000] bash[321]: IDS2-TEST smoke formula=x=1\r\n"
    b"ids2-test login: [   15.000000] bash[312]: IDS2-TEST-END smoke status=3 uptime=15.01\r\n"
)


def fake_vm(tmp_path: Path, console: bytes) -> RunningVm:
    """A RunningVm whose "QEMU" prints `console` and exits."""
    script = tmp_path / "console.bin"
    script.write_bytes(console)
    return RunningVm(["sh", "-c", f"cat {shlex.quote(str(script))}"], tmp_path / "serial.log")


def test_console_text_drops_escape_codes_and_carriage_returns() -> None:
    assert console_text(b"\x1bc\x1b[0;1;31mFAILED\x1b[0m\x1b]0;title\x07 unit\r") == "FAILED unit"


def test_reports_are_parsed_through_journald_prefixes() -> None:
    lines = [(None, console_text(line)) for line in CONSOLE.split(b"\n")]
    report = parse_reports(lines)["smoke"]
    assert report.values == {
        "system_state": "degraded",
        "failed_units": "a.service,b.service",
        "formula": "x=1",
    }
    assert report.notes == ["a free-form note"]
    assert (report.status, report.begin_uptime, report.end_uptime) == (3, 14.05, 15.01)
    assert report.complete


def test_a_report_without_its_end_marker_fails_with_the_console_tail(tmp_path: Path) -> None:
    vm = fake_vm(tmp_path, CONSOLE.rsplit(b"ids2-test login:", 1)[0])
    result = vm.wait_until_finished(timeout=30)
    vm.stop()
    assert result.reports["smoke"].values["system_state"] == "degraded"
    with pytest.raises(BootError, match="began but never ended") as error:
        result.report("smoke")
    assert "IDS2-TEST smoke a free-form note" in str(error.value)
    with pytest.raises(BootError, match="'other' never began"):
        result.report("other")


def test_waiting_for_a_value_stops_when_qemu_exits(tmp_path: Path) -> None:
    vm = fake_vm(tmp_path, CONSOLE)
    try:
        assert vm.wait_for("smoke", "failed_units", timeout=30).status == 3
        with pytest.raises(BootError, match=r"no 'never' in report 'smoke'.*QEMU exited"):
            vm.wait_for("smoke", "never", timeout=30)
    finally:
        vm.stop()
    result = vm.result()
    assert result.exit_status == 0
    assert result.kernel_start_wall is not None
    assert (tmp_path / "serial.log").read_bytes() == CONSOLE


def test_the_reporter_unit_runs_after_boot_without_blocking_it(tmp_path: Path) -> None:
    unit = add_test_unit(tmp_path, "smoke", "echo ok=1\n", after=["ids2.target"])
    text = (tmp_path / "etc/systemd/system" / unit).read_text()
    assert "Type=exec" in text and "After=ids2.target" in text
    assert "StandardOutput=journal+console" in text
    wants = tmp_path / "etc/systemd/system/multi-user.target.wants" / unit
    assert wants.readlink() == Path("/etc/systemd/system") / unit
    runner = (tmp_path / "usr/local/lib/ids2-test/smoke.run").read_text()
    assert "/bin/bash /usr/local/lib/ids2-test/smoke.test" in runner
    assert "systemctl --no-block poweroff" in runner
    with pytest.raises(ValueError):
        add_test_unit(tmp_path, "no spaces", "true")


def test_forwarded_ports_listen_on_loopback_only() -> None:
    nic = Nic.forwarding(10088, 8080)
    options = " ".join(nic.qemu_arguments())
    assert f"hostfwd=tcp:127.0.0.1:{nic.host_port(10088)}-:10088" in options
    assert f"hostfwd=tcp:127.0.0.1:{nic.host_port(8080)}-:8080" in options
    with pytest.raises(KeyError):
        nic.host_port(22)
