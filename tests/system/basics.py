"""Build once, install with apt, boot once and read back the running appliance's basics
(guest_report.py without its faults and package lifecycle): what the release and
architecture tests beside the full amd64 trixie test share."""

from __future__ import annotations

import functools
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.ports import free_port
from tests.system.deb_build import ROOT_DIR, build_package
from tests.system.rootfs import base_rootfs, install_debs, install_reporter, make_disk
from tests.system.vm import boot

HERE = Path(__file__).resolve().parent
BASICS_ONLY = "basics-only"
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


class Stopwatch:
    """Prints how long each step took: the figures the README quotes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = self.last = time.monotonic()

    def lap(self, step: str) -> None:
        now = time.monotonic()
        print(f"{self.name}: {step} in {now - self.last:.0f} s ({now - self.started:.0f} s in all)")
        self.last = now


@functools.cache
def package(release: str, arch: str) -> Path:
    """The .deb of `release` for `arch`, built once per test session in a clean chroot."""
    output = ROOT_DIR / "build/system-debs" / f"{release}-{arch}"
    for old in output.glob("*.deb"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="ids2-deb-build-") as scratch:
        return build_package(release, arch, output, Path(scratch))


def prepare(root: Path) -> Path:
    """The guest's network, a test rule and the reporter; returns the reporter's directory,
    for the files it needs beside it."""
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
    return install_reporter(
        root,
        "system-test-report.service",
        HERE / "guest_report.py",
        after="multi-user.target ids2.target",
        interpreter="/usr/bin/python3",
    )


def report_basics(deb: Path, release: str, arch: str, tmp_path: Path) -> dict[str, str]:
    """Install `deb` into a fresh `release` root, boot it once; what the reporter printed."""
    watch = Stopwatch(f"{release} {arch}")
    root = base_rootfs(tmp_path / "root", arch, release)
    install_debs(root, [deb], release)
    (prepare(root) / BASICS_ONLY).touch()
    disk = tmp_path / "disk.raw"
    make_disk(root, disk)
    watch.lap(f"rootfs with {deb.name} installed")
    vm = boot(root, disk, tmp_path / "serial.log", free_port(), isolated=True, arch=arch)
    try:
        vm.wait_for("done", 1100)
        watch.lap("guest booted and reported")
        vm.print_values()
    finally:
        vm.stop()
        vm.print_journal()
    return vm.values


def assert_basics(guest: dict[str, str], arch: str) -> None:
    """The appliance runs: every controller active, the RAM disk, the exporter, Suricata on
    our rendered config."""
    assert guest["architecture"] == arch
    for name in ("resource", "connectivity", "metrics", "verify"):
        assert guest[f"state_ids2_{name}_service"] == "active", name
    assert guest["ramdisk_mounted"] == "tmpfs"
    assert guest["exporter"] == "ok"
    print(
        f"{arch}: kernel start to all controllers READY: {guest['controllers_ready_uptime']} s, "
        f"Suricata {guest['state_suricata_service']} at {guest['suricata_ready_uptime']} s"
    )
