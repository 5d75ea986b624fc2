"""The arm64 build of the appliance, the one the Pi 5 runs: built with dpkg-buildpackage in an
arm64 chroot (qemu-user), installed with apt into arm64 Debian 12 and booted under
qemu-system-aarch64 (virt machine, Cortex-A76, TCG).

Opt-in with IDS2_TEST_ARM64=1: everything runs emulated, which takes tens of minutes (see
the README). The guest checks only the running appliance (guest_report.py's basics); the
faults and the package lifecycle are the amd64 test's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.system.arm64_build import build_chroot, build_deb, emulation_ready
from tests.system.rootfs import base_rootfs, install_debs, make_disk
from tests.system.test_appliance_boots import prepare
from tests.system.vm import boot

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        os.environ.get("IDS2_TEST_ARM64") != "1", reason="arm64 is opt-in: IDS2_TEST_ARM64=1"
    ),
    pytest.mark.skipif(os.geteuid() != 0, reason="debootstrap and chroot need root"),
    pytest.mark.skipif(
        shutil.which("qemu-system-aarch64") is None, reason="needs qemu-system-aarch64"
    ),
    pytest.mark.skipif(
        not emulation_ready(), reason="arm64 programs cannot run here (binfmt, qemu-user-static)"
    ),
]
ROOT_DIR = Path(__file__).resolve().parents[2]


class Stopwatch:
    """Prints how long each step took: the figures the README quotes."""

    def __init__(self) -> None:
        self.started = self.last = time.monotonic()

    def lap(self, step: str) -> None:
        now = time.monotonic()
        print(f"arm64: {step} in {now - self.last:.0f} s ({now - self.started:.0f} s in all)")
        self.last = now


@pytest.fixture(scope="module")
def stopwatch() -> Stopwatch:
    return Stopwatch()


@pytest.fixture(scope="module")
def arm64_deb(tmp_path_factory: pytest.TempPathFactory, stopwatch: Stopwatch) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("arm64-build")
    chroot = build_chroot(directory / "chroot", ROOT_DIR / "debian/control")
    stopwatch.lap("build chroot ready")
    try:
        yield build_deb(chroot, ROOT_DIR, directory / "dist")
    finally:
        subprocess.run(["rm", "-rf", str(chroot)], check=True)


@pytest.fixture(scope="module")
def guest(
    arm64_deb: Path, tmp_path_factory: pytest.TempPathFactory, stopwatch: Stopwatch
) -> dict[str, str]:
    """Install the arm64 .deb, boot once; what the guest's reporter printed."""
    stopwatch.lap(f"{arm64_deb.name} built")
    tmp_path = tmp_path_factory.mktemp("arm64-guest")
    root = base_rootfs(tmp_path / "root", "arm64")
    install_debs(root, [arm64_deb])
    # The package stands in for the upgrade the basics never install.
    prepare(root, arm64_deb)
    (root / "usr/local/lib/ids2-test/basics-only").touch()
    disk = tmp_path / "disk.raw"
    make_disk(root, disk)
    stopwatch.lap("rootfs installed")
    vm = boot(root, disk, tmp_path / "serial.log", free_port(), isolated=True, arch="arm64")
    try:
        vm.wait_for("done", 1100)
        stopwatch.lap("guest booted and reported")
        vm.print_values()
    finally:
        vm.stop()
        vm.print_journal()
    return vm.values


def test_the_arm64_package_is_lintian_clean(arm64_deb: Path) -> None:
    result = subprocess.run(
        ["lintian", "--fail-on", "error,warning", str(arm64_deb)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_arm64_appliance_boots(guest: dict[str, str]) -> None:
    assert guest["architecture"] == "arm64"
    for name in ("resource", "connectivity", "metrics", "verify"):
        assert guest[f"state_ids2_{name}_service"] == "active", name
    assert guest["ramdisk_mounted"] == "tmpfs"
    assert guest["exporter"] == "ok"
    print(
        f"arm64: kernel start to all controllers READY: {guest['controllers_ready_uptime']} s, "
        f"Suricata {guest['state_suricata_service']} at {guest['suricata_ready_uptime']} s"
    )
