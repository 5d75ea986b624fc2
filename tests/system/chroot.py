"""Running commands inside a root file system with chroot, as apt and maintainer scripts
expect: proc, sys, dev and devpts mounted, services kept from starting, and everything
undone afterwards, even when the command fails or the test is interrupted."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

# (source, mount point inside the root, mount options), mounted in this order.
CHROOT_MOUNTS = (
    ("proc", "proc", ("-t", "proc")),
    ("sysfs", "sys", ("-t", "sysfs")),
    ("/dev", "dev", ("--bind",)),
    ("devpts", "dev/pts", ("-t", "devpts", "-o", "gid=5,mode=620,ptmxmode=666")),
)
POLICY_RC_D = "usr/sbin/policy-rc.d"
CHROOT_ENVIRONMENT = {
    "DEBIAN_FRONTEND": "noninteractive",
    "LC_ALL": "C.UTF-8",
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
}


def mounts_under(root: Path) -> list[Path]:
    """Mount points at or below `root`, deepest first (the order to unmount them in)."""
    prefix = str(root.resolve())
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        # Field 5 is the mount point, with spaces and the like escaped as octal.
        mount_point = line.split()[4].encode().decode("unicode_escape")
        if mount_point == prefix or mount_point.startswith(prefix + "/"):
            found.append(Path(mount_point))
    return sorted(found, key=lambda path: len(path.parts), reverse=True)


def kill_processes_in(root: Path) -> None:
    """SIGKILL every process whose root directory is `root` (daemons a package left behind
    would keep the chroot's mounts busy)."""
    target = str(root.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if os.readlink(entry / "root") == target:
                os.kill(int(entry.name), signal.SIGKILL)


def unmount_all_under(root: Path) -> None:
    """Unmount everything at or below `root`; lazily when a mount stays busy.

    Raises RuntimeError when something is still mounted afterwards.
    """
    kill_processes_in(root)
    for mount_point in mounts_under(root):
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode:
            subprocess.run(["umount", "--lazy", str(mount_point)], capture_output=True)
    left = mounts_under(root)
    if left:
        raise RuntimeError(f"could not unmount {', '.join(map(str, left))}")


@contextlib.contextmanager
def chroot_mounts(root: Path) -> Iterator[None]:
    """proc, sys, dev and devpts mounted inside `root` for the duration of the block."""
    try:
        for source, target, options in CHROOT_MOUNTS:
            mount_point = root / target
            mount_point.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", *options, source, str(mount_point)], check=True)
        yield
    finally:
        unmount_all_under(root)


@contextlib.contextmanager
def services_kept_from_starting(root: Path) -> Iterator[None]:
    """A policy-rc.d that refuses every action, so maintainer scripts start no daemons."""
    policy = root / POLICY_RC_D
    policy.write_text("#!/bin/sh\n# ids2 system tests: no services during installs\nexit 101\n")
    policy.chmod(0o755)
    try:
        yield
    finally:
        policy.unlink(missing_ok=True)


def run_in_chroot(root: Path, script: str, timeout: float = 1800) -> None:
    """Run a shell script (sh -eu) inside `root` with the mounts and policy-rc.d in place.

    Raises CalledProcessError or TimeoutExpired; the mounts are undone either way.
    """
    with services_kept_from_starting(root), chroot_mounts(root):
        subprocess.run(
            ["chroot", str(root), "/bin/sh", "-euc", script],
            check=True,
            timeout=timeout,
            env=CHROOT_ENVIRONMENT,
            stdin=subprocess.DEVNULL,
        )
