"""The arm64 build of the appliance, the one the Pi 5 runs: built with dpkg-buildpackage in an
arm64 trixie chroot (qemu-user), installed with apt into arm64 Debian 13 and booted under
qemu-system-aarch64 (virt machine, Cortex-A76, TCG).

Opt-in with IDS2_TEST_ARM64=1: everything runs emulated, which takes tens of minutes (see
the README). The guest checks only the running appliance (guest_report.py's basics); the
faults and the package lifecycle are the amd64 test's.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.system.basics import assert_basics, package, report_basics
from tests.system.deb_build import emulation_ready

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
        not emulation_ready("arm64"),
        reason="arm64 programs cannot run here (binfmt, qemu-user-static)",
    ),
]


@pytest.fixture(scope="module")
def arm64_deb() -> Path:
    """Built and checked by trixie's lintian in the chroot: a refusal fails the build."""
    return package("trixie", "arm64")


def test_the_arm64_package_names_its_release(arm64_deb: Path) -> None:
    assert arm64_deb.name.endswith("~deb13u1_arm64.deb"), arm64_deb.name


def test_the_arm64_appliance_boots(arm64_deb: Path, tmp_path: Path) -> None:
    assert_basics(report_basics(arm64_deb, "trixie", "arm64", tmp_path), "arm64")
