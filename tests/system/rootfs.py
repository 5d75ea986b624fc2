"""A Debian root file system (13 trixie, or 12 bookworm), built with debootstrap, that QEMU
can boot.

The base (systemd, a kernel with a small virtio initramfs, the release's archive) is cached
as a tarball keyed by its recipe, so only the first run pays for debootstrap. Chroot
mounts are always undone, even when a step fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = "systemd-sysv,udev,dbus,e2fsprogs,ca-certificates,iproute2,python3,curl"
INITRAMFS_MODULES = "virtio_pci\nvirtio_mmio\nvirtio_blk\nvirtio_net\next4\n"
RECIPE_VERSION = "1"
KERNELS = {"amd64": "linux-image-amd64", "arm64": "linux-image-arm64"}
REPORTER_DIR = "usr/local/lib/ids2-test"


@dataclass(frozen=True)
class Release:
    """A Debian release as the tests install it: its suites, and where Suricata 7 is."""

    name: str
    suites: tuple[str, ...]
    apt_target: tuple[str, ...]  # `apt-get install` options that pick Suricata 7


RELEASES = {
    # Raspberry Pi OS today: Suricata 7 in main.
    "trixie": Release("trixie", ("trixie", "trixie-updates"), ()),
    # Pi OS "Legacy": Suricata 7 only in backports.
    "bookworm": Release(
        "bookworm",
        ("bookworm", "bookworm-updates", "bookworm-backports"),
        ("-t", "bookworm-backports"),
    ),
}
DEFAULT_RELEASE = "trixie"


def cache_dir() -> Path:
    path = Path(os.environ.get("IDS2_SYSTEM_CACHE", Path.home() / ".cache/ids2-system-tests"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def run(*command: str, timeout: float = 1800) -> None:
    subprocess.run(command, check=True, timeout=timeout, stdin=subprocess.DEVNULL)


@contextlib.contextmanager
def chroot_mounts(root: Path) -> Iterator[None]:
    """proc, sys, dev and devpts inside `root`, unmounted in reverse order afterwards."""
    mounted: list[Path] = []
    try:
        for source, target, options in (
            ("proc", "proc", ["-t", "proc"]),
            ("sysfs", "sys", ["-t", "sysfs"]),
            ("/dev", "dev", ["--bind"]),
            ("devpts", "dev/pts", ["-t", "devpts"]),
        ):
            run("mount", *options, source, str(root / target))
            mounted.append(root / target)
        yield
    finally:
        for path in reversed(mounted):
            subprocess.run(["umount", "-l", str(path)], check=False)


def in_chroot(root: Path, script: str, timeout: float = 1800) -> None:
    """Run a shell script inside the root, with services kept from starting."""
    with chroot_mounts(root):
        run(
            "chroot",
            str(root),
            "/bin/sh",
            "-euc",
            "export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8\n" + script,
            timeout=timeout,
        )


def host_arch() -> str:
    """This machine's Debian architecture name."""
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _build_base(root: Path, arch: str, release: Release) -> None:
    # A foreign root is unpacked here and configured inside the chroot by its own (emulated)
    # tools: this needs binfmt_misc with qemu-user-static's F-flagged entry for the arch.
    foreign = arch != host_arch()
    run(
        "debootstrap",
        "--variant=minbase",
        f"--arch={arch}",
        f"--include={BASE_PACKAGES}",
        *(["--foreign"] if foreign else []),
        release.name,
        str(root),
        MIRROR,
    )
    if foreign:
        run("chroot", str(root), "/debootstrap/debootstrap", "--second-stage", timeout=3600)
    (root / "etc/apt/sources.list").write_text(
        "".join(f"deb {MIRROR} {suite} main\n" for suite in release.suites)
    )
    (root / "usr/sbin/policy-rc.d").write_text("#!/bin/sh\nexit 101\n")
    (root / "usr/sbin/policy-rc.d").chmod(0o755)
    # One small initramfs with just what QEMU's virtio disk needs (measured: built once).
    (root / "etc/initramfs-tools/conf.d").mkdir(parents=True, exist_ok=True)
    (root / "etc/initramfs-tools/conf.d/ids2-test").write_text("MODULES=list\n")
    (root / "etc/initramfs-tools/modules").write_text(INITRAMFS_MODULES)
    (root / "etc/fstab").write_text("/dev/vda / ext4 rw,errors=remount-ro 0 1\n")
    (root / "etc/hostname").write_text("ids2-test\n")
    # initramfs-tools first and on its own: installed together with the kernel, its trigger
    # builds the initramfs a second time (minutes under arm64 emulation).
    in_chroot(
        root,
        "apt-get update -q\n"
        "apt-get install -y -q --no-install-recommends initramfs-tools\n"
        f"apt-get install -y -q --no-install-recommends {KERNELS[arch]}\n"
        "apt-get clean",
        timeout=3600,
    )


def base_rootfs(root: Path, arch: str = "amd64", release: str = DEFAULT_RELEASE) -> Path:
    """A fresh copy of the cached base of `release` for `arch` at `root` (built on the first
    call)."""
    recipe = RELEASES[release]
    key = hashlib.sha256(f"{RECIPE_VERSION}:{recipe}:{BASE_PACKAGES}:{INITRAMFS_MODULES}".encode())
    tarball = cache_dir() / f"{release}-{arch}-{key.hexdigest()[:16]}.tar"
    return cached_tree(tarball, lambda build: _build_base(build, arch, recipe), root)


def cached_tree(tarball: Path, build_tree: Callable[[Path], None], root: Path) -> Path:
    """A fresh copy at `root` of the tree cached as `tarball`, which `build_tree` fills in
    an empty directory on the first call. Test runs in other trees share the cache: the
    first to take its lock builds, the others wait for the tarball instead of wiping the
    half-built tree."""
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with open(tarball.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not tarball.exists():
            build = tarball.with_suffix(".build")
            unmount_below(build)
            subprocess.run(["rm", "-rf", str(build)], check=True)
            build.mkdir()
            build_tree(build)
            run("tar", "-C", str(build), "-cf", str(tarball.with_suffix(".tmp")), ".")
            os.replace(tarball.with_suffix(".tmp"), tarball)
            subprocess.run(["rm", "-rf", str(build)], check=True)
    root.mkdir(parents=True)
    run("tar", "-C", str(root), "-xf", str(tarball))
    return root


def unmount_below(path: Path) -> None:
    """Unmount what an interrupted build left mounted in `path` (debootstrap's second stage
    mounts /proc and /sys itself, and a timeout kills it before it unmounts them), deepest
    first, so that removing the half-built tree cannot reach the host's /proc and /sys."""
    prefix = f"{path.resolve()}/"
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        points = [line.split()[1] for line in mounts]
    for point in sorted((p for p in points if p.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


def install_debs(root: Path, debs: list[Path], release: str = DEFAULT_RELEASE) -> None:
    """apt-get install our .deb files, their dependencies from the release's archive."""
    names = []
    for deb in debs:
        (root / "tmp" / deb.name).write_bytes(deb.read_bytes())
        names.append(f"/tmp/{deb.name}")
    in_chroot(
        root,
        "apt-get update -q\n"
        f"apt-get install -y -q {' '.join([*RELEASES[release].apt_target, *names])}\n"
        "apt-get clean\nrm -f /tmp/*.deb",
        timeout=2400,
    )


def make_disk(root: Path, disk: Path, size: str = "4G") -> None:
    """An ext4 image of `root`, made without loop mounts."""
    (root / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
    run("mkfs.ext4", "-q", "-F", "-d", str(root), str(disk), size)


def install_reporter(
    root: Path, unit_name: str, program: Path, after: str, interpreter: str = ""
) -> Path:
    """Copy `program` into the guest and enable `unit_name` to run it after `after`, its
    output on the serial console where the test reads it. Returns the guest directory it
    is in, for the files it needs beside it."""
    directory = root / REPORTER_DIR
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(program, directory / program.name)
    command = f"{interpreter} /{REPORTER_DIR}/{program.name}".strip()
    (root / "etc/systemd/system" / unit_name).write_text(
        f"""[Unit]
Description=ids2 test reporter ({program.name})
After={after}

[Service]
Type=exec
ExecStart={command}
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
"""
    )
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / unit_name).symlink_to(f"/etc/systemd/system/{unit_name}")
    return directory
