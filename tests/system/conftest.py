"""Fixtures for the QEMU system tests: a host with the tools, fresh root file systems
unpacked from the cached base, and checks that no mount or QEMU process outlives a test."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import psutil
import pytest

from tests.system.chroot import mounts_under
from tests.system.debian_rootfs import build_base_rootfs, remove_tree, unpack_rootfs
from tests.system.host import HostNotReady, enable_arm64_emulation, install_host_packages

MakeRootfs = Callable[..., Path]


@pytest.fixture(scope="session")
def system_host() -> None:
    """Skips unless root (debootstrap, chroot and mounts need it); installs the missing
    Debian packages from apt-packages.txt."""
    if os.geteuid() != 0:
        pytest.skip("the system tests need root: debootstrap, chroot, mount")
    try:
        install_host_packages()
    except HostNotReady as error:
        pytest.skip(str(error))


@pytest.fixture
def make_rootfs(system_host: None, tmp_path: Path) -> Iterator[MakeRootfs]:
    """A function `(arch="amd64", extra_packages=()) -> root` that unpacks a fresh copy of
    the base root file system (built and cached on first use) under tmp_path.

    arm64 skips when binfmt emulation cannot be enabled. Afterwards the copies and any disk
    images in tmp_path are removed (the console logs stay), and a mount left under
    tmp_path fails the test.
    """
    roots: list[Path] = []

    def make(arch: str = "amd64", extra_packages: Sequence[str] = ()) -> Path:
        if arch == "arm64" and not enable_arm64_emulation():
            pytest.skip("arm64 programs cannot run here (binfmt_misc, qemu-user-static)")
        started = time.monotonic()
        tarball = build_base_rootfs(arch=arch, extra_packages=extra_packages)
        built = time.monotonic()
        root = unpack_rootfs(tarball, tmp_path / f"root-{arch}-{len(roots)}")
        roots.append(root)
        print(
            f"\n{arch} base {tarball.name}: ready in {built - started:.1f} s, "
            f"unpacked in {time.monotonic() - built:.1f} s"
        )
        return root

    yield make
    leaked = mounts_under(tmp_path)
    for root in roots:
        remove_tree(root)
    for disk in tmp_path.glob("*.raw"):
        disk.unlink()
    assert not leaked, f"mounts left behind: {', '.join(map(str, leaked))}"


@pytest.fixture
def no_stray_qemu() -> Iterator[None]:
    """Fails the test when a QEMU it started is still running at its end (and kills it)."""
    yield
    stray = [
        child
        for child in psutil.Process().children(recursive=True)
        if child.name().startswith("qemu-system")
    ]
    for process in stray:
        process.kill()
    assert not stray, f"QEMU still running after the test: {[p.pid for p in stray]}"
