"""Debian 12 bookworm, which Raspberry Pi OS "Legacy" users run: its own package (Python
3.11, ~deb12u1), built in a bookworm chroot, lintian-clean there, installed with apt (Suricata 7
from bookworm-backports) and booted once under QEMU. The faults and the package lifecycle
are the trixie test's."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.system.basics import assert_basics, package, report_basics

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(os.geteuid() != 0, reason="debootstrap and chroot need root"),
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="needs QEMU"),
]


@pytest.fixture(scope="module")
def bookworm_deb() -> Path:
    return package("bookworm", "amd64")


def test_the_bookworm_package_depends_on_its_python(bookworm_deb: Path) -> None:
    assert bookworm_deb.name.endswith("~deb12u1_amd64.deb"), bookworm_deb.name
    depends = subprocess.run(
        ["dpkg-deb", "-f", str(bookworm_deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    assert "python3 (>= 3.11), python3 (<< 3.12)" in depends


def test_the_bookworm_appliance_boots(bookworm_deb: Path, tmp_path: Path) -> None:
    assert_basics(report_basics(bookworm_deb, "bookworm", "amd64", tmp_path), "amd64")
