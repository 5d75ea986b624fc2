"""The harness itself works: the base Debian 12 root file system boots under QEMU to a
running (or at worst degraded, with its reason) systemd, its reporter's markers come back
on the serial console, and a guest port answers on the host through QEMU's user network.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from tests.system.conftest import MakeRootfs
from tests.system.debian_rootfs import kernel_and_initrd, make_disk_image
from tests.system.qemu import Nic, start_vm
from tests.system.reporter import add_test_unit
from tests.system.running_vm import BootResult

pytestmark = [pytest.mark.system, pytest.mark.usefixtures("no_stray_qemu")]

ECHO_PORT = 7777
ECHO_REPLY = "ids2-guest-echo"
# Socket-activated, so the guest needs nothing beyond systemd to answer on a port.
ECHO_UNITS = {
    "ids2-test-echo.socket": (
        f"[Socket]\nListenStream={ECHO_PORT}\nAccept=yes\n\n[Install]\nWantedBy=sockets.target\n"
    ),
    "ids2-test-echo@.service": (
        "[Service]\nStandardInput=socket\nStandardOutput=socket\n"
        f"ExecStart=/bin/sh -c 'echo {ECHO_REPLY}; touch /run/ids2-test-echo-answered'\n"
    ),
}
SMOKE_SCRIPT = r"""
echo "system_state=$(systemctl is-system-running --wait)"
failed=$(systemctl list-units --failed --plain --no-legend | awk '{print $1}')
echo "failed_units=$(echo $failed | tr ' ' ,)"
for unit in $failed; do
    echo "failed_reason_$unit=$(systemctl show -p Result --value "$unit")"
    journalctl -u "$unit" -n 10 -o cat --no-pager
done
echo "startup=$(systemd-analyze time | head -n 1)"
echo "kernel_to_marker_seconds=$(cut -d' ' -f1 /proc/uptime)"
echo "listening=yes"
for _ in $(seq 600); do [ -e /run/ids2-test-echo-answered ] && break; sleep 0.2; done
[ -e /run/ids2-test-echo-answered ] && echo "echo_answered=yes" || echo "echo_answered=no"
"""


def add_echo_service(root: Path) -> None:
    units = root / "etc/systemd/system"
    for name, text in ECHO_UNITS.items():
        (units / name).write_text(text)
    (units / "sockets.target.wants").mkdir(exist_ok=True)
    (units / "sockets.target.wants/ids2-test-echo.socket").symlink_to(
        "/etc/systemd/system/ids2-test-echo.socket"
    )


def read_echo(port: int, attempts: int = 20) -> str:
    """The guest's echo reply through the forwarded port. QEMU accepts on the guest's
    behalf and closes at once while nothing listens yet, hence the retries."""
    for _ in range(attempts):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            reply = connection.makefile().read().strip()
        if reply:
            return reply
        time.sleep(1)
    return ""


def boot_smoke(make_rootfs: MakeRootfs, tmp_path: Path, arch: str) -> None:
    started = time.monotonic()
    root = make_rootfs(arch)
    add_echo_service(root)
    add_test_unit(root, "smoke", SMOKE_SCRIPT)
    disk = make_disk_image(root, tmp_path / "disk.raw", "2G")
    kernel, initrd = kernel_and_initrd(root)
    prepared = time.monotonic()
    nic = Nic.forwarding(ECHO_PORT)
    with start_vm(disk, kernel, initrd, arch=arch, nic=nic, timeout=600) as vm:
        vm.wait_for("smoke", "listening", timeout=600)
        reply = read_echo(nic.host_port(ECHO_PORT))
        result = vm.wait_until_finished(timeout=180)
    report = result.report("smoke")
    print_timings(arch, result, prepared - started)

    assert reply == ECHO_REPLY
    assert report.values["echo_answered"] == "yes"
    state = report.values["system_state"]
    assert state in ("running", "degraded"), result.tail()
    if state == "degraded":
        assert report.values["failed_units"], "degraded, yet no failed unit listed"
    assert report.status == 0
    assert result.exit_status == 0, "the guest did not power off by itself"


def print_timings(arch: str, result: BootResult, preparation_seconds: float) -> None:
    report = result.reports["smoke"]
    print(
        f"\n{arch}: rootfs and disk prepared in {preparation_seconds:.1f} s; "
        f"QEMU start to kernel start {result.kernel_start_wall or 0:.1f} s; "
        f"kernel start to first marker {report.begin_uptime} s (guest clock); "
        f"QEMU start to first marker {report.begin_wall or 0:.1f} s, to power-off "
        f"{result.wall_seconds:.1f} s (host clock)\n"
        f"{arch}: system {report.values['system_state']}, failed units: "
        f"{report.values['failed_units'] or 'none'}; {report.values['startup']}"
    )


def test_amd64_guest_boots_and_reports(make_rootfs: MakeRootfs, tmp_path: Path) -> None:
    boot_smoke(make_rootfs, tmp_path, "amd64")


@pytest.mark.skipif(
    os.environ.get("IDS2_TEST_ARM64") != "1", reason="arm64 emulation is opt-in: IDS2_TEST_ARM64=1"
)
def test_arm64_guest_boots_and_reports(make_rootfs: MakeRootfs, tmp_path: Path) -> None:
    boot_smoke(make_rootfs, tmp_path, "arm64")
