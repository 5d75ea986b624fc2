"""The appliance comes up: our .deb installed with apt into Debian 12, booted under QEMU.

The guest's reporter (guest_report.py) checks the running sensor and injects faults; this
test sends traffic to the guest's NIC through QEMU user networking and reads the results
from the serial console.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.system.rootfs import base_rootfs, install_debs, install_reporter, make_disk
from tests.system.vm import boot

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(os.geteuid() != 0, reason="debootstrap and chroot need root"),
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="needs QEMU"),
]
ROOT_DIR = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
TEST_RULE = (
    'alert http any any -> any any (msg:"ids2 system test"; http.uri; '
    'content:"/ids2-system-test"; sid:9400001; rev:1;)\n'
)

GUEST_NETWORK = """\
[Match]
Name=eth0

[Network]
Address=10.0.2.15/24
Gateway=10.0.2.2
"""


def build_deb() -> Path:
    subprocess.run(
        ["make", "-C", str(ROOT_DIR), "deb"], check=True, stdout=subprocess.DEVNULL, timeout=1200
    )
    return sorted((ROOT_DIR / "dist").glob("ids2_*_amd64.deb"))[-1]


def upgrade_of(deb: Path, directory: Path) -> Path:
    """The same package at a higher version (repacked, not rebuilt: seconds, not minutes),
    for the guest's apt upgrade."""
    tree = directory / "upgrade"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(tree)], check=True)
    control = tree / "DEBIAN/control"
    text = control.read_text()
    version = re.search(r"^Version: (\S+)$", text, re.MULTILINE)
    assert version is not None, f"{deb} has no Version"
    control.write_text(text.replace(version.group(0), f"Version: {version.group(1)}+upgrade1"))
    upgrade = directory / "ids2-upgrade.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-b", str(tree), str(upgrade)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return upgrade


def prepare(root: Path, upgrade: Path) -> None:
    # The sensor's NIC gets QEMU user networking's guest address, as an operator's network
    # config would give it one: Suricata captures on it, the forwarded port reaches it.
    (root / "etc/systemd/network").mkdir(parents=True, exist_ok=True)
    (root / "etc/systemd/network/20-eth0.network").write_text(GUEST_NETWORK)
    subprocess.run(
        ["systemctl", f"--root={root}", "enable", "systemd-networkd.service"],
        check=True,
        capture_output=True,
    )
    rules = root / "var/lib/suricata/rules"
    rules.mkdir(parents=True, exist_ok=True)
    (rules / "suricata.rules").write_text(TEST_RULE)
    # Not named ids2*: the guest checks that nothing of that name outlives a purge.
    reporter_dir = install_reporter(
        root,
        "system-test-report.service",
        HERE / "guest_report.py",
        after="multi-user.target ids2.target",
        interpreter="/usr/bin/python3",
    )
    shutil.copy(upgrade, reporter_dir / "ids2-upgrade.deb")


@pytest.fixture(scope="module")
def guest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Build, install, boot once; what the guest's reporter printed."""
    tmp_path = tmp_path_factory.mktemp("appliance")
    started = time.monotonic()
    deb = build_deb()
    root = base_rootfs(tmp_path / "root")
    install_debs(root, [deb])
    prepare(root, upgrade_of(deb, tmp_path))
    disk = tmp_path / "disk.raw"
    make_disk(root, disk)
    print(f"rootfs with {deb.name} ready in {time.monotonic() - started:.0f} s")
    port = free_port()
    vm = boot(root, disk, tmp_path / "serial.log", port, isolated=True)
    try:
        booted = time.monotonic()
        vm.wait_for("send_traffic", 900)
        for _ in range(3):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ids2-system-test", timeout=20)
            except OSError:
                time.sleep(2)
        vm.wait_for("done", 1100)
        print(f"guest report after {time.monotonic() - booted:.0f} s of boot:")
        vm.print_values()
    finally:
        vm.stop()
        vm.print_journal()
    return vm.values


def test_the_appliance_boots_and_survives_faults(guest: dict[str, str]) -> None:
    for name in ("resource", "connectivity", "metrics", "verify"):
        assert guest[f"state_ids2_{name}_service"] == "active", name
    assert guest["ramdisk_mounted"] == "tmpfs"
    assert guest["exporter"] == "ok"
    # The 5 s goal is for real hardware: under TCG emulation Python starts ~10x slower,
    # so this asserts the restart and prints the time.
    assert guest["kill9_restart_seconds"] != "never"
    assert guest["others_untouched"] == "True"
    assert guest["reload_refused"] == "True" and guest["metrics_still_active"] == "True"
    assert guest["throttle_as_ids2"] == "CPUQuota=100% MemoryHigh=384M"
    assert guest["suricata_cpuquota"] == "1s"
    assert guest["suricata_memoryhigh"] == str(384 * 1024 * 1024)
    assert guest["watchdog_restart_seconds"] != "never"
    assert guest["verify_units"] == "clean"
    # The deploy renders and validates inside its sandbox (the stack's images cannot be
    # pulled by an isolated guest, so phase C fails and is not asserted).
    assert guest["deploy_render"] == "ok"
    assert guest["target_stopped_all"] == "True"
    # Goal on real hardware: ids2.target to READY within 5 s. Under TCG these are reported.
    print(
        f"kernel start to all controllers READY: {guest['controllers_ready_uptime']} s, "
        f"to Suricata running: {guest['suricata_ready_uptime']} s; "
        f"systemctl start ids2.target to all controllers READY: "
        f"{guest['target_start_to_ready_seconds']} s, "
        f"to Suricata running: {guest['target_start_to_suricata_seconds']} s "
        f"({guest['target_start_to_ready_by_unit']})"
    )


def test_suricata_captures_on_the_guest_nic(guest: dict[str, str]) -> None:
    assert guest["state_suricata_service"] == "active"
    assert guest["suricata_config"] == "rendered"
    assert guest["alert"] == "yes"


def test_apt_upgrade_keeps_the_edited_config_and_restarts_the_controllers(
    guest: dict[str, str],
) -> None:
    assert guest["upgrade_exit"] == "0"
    assert guest["upgrade_version"].endswith("+upgrade1")
    assert guest["upgrade_config_kept"] == "True"
    assert guest["upgrade_controllers_restarted"] == "True"
    assert guest["upgrade_suricata_kept_running"] == "True"


def test_apt_remove_stops_everything_and_purge_leaves_nothing(guest: dict[str, str]) -> None:
    assert guest["remove_exit"] == "0"
    assert guest["remove_still_active"] == "none"
    assert guest["remove_unit_files"] == "none"
    assert guest["remove_config_kept"] == "True"
    assert guest["purge_exit"] == "0"
    assert guest["purge_leftovers"] == "none"
