"""Debian 12 root file systems for the system tests, and ext4 disk images QEMU boots.

The base (debootstrap minbase, systemd, a kernel with a small virtio initramfs, apt sources
with bookworm-backports, a static address for QEMU's user network) is slow to build, so it
is cached as a tarball named after a hash of everything that goes into it; each test then
unpacks a fresh copy in seconds and installs what it tests on top.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from tests.system.chroot import CHROOT_ENVIRONMENT, mounts_under, run_in_chroot, unmount_all_under

# Bump whenever the recipe below changes in a way the cache key does not already capture.
RECIPE_VERSION = 1
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
BASE_PACKAGES = ("systemd-sysv", "udev", "dbus", "e2fsprogs")
KERNEL_PACKAGES = {"amd64": "linux-image-amd64", "arm64": "linux-image-arm64"}
# Built into the initramfs (MODULES=list keeps out everything else): the QEMU disk and NIC.
INITRAMFS_MODULES = ("virtio_pci", "virtio_mmio", "virtio_blk", "virtio_net", "ext4")
# QEMU's user network: the guest's fixed address, the host as seen from the guest, and the
# MAC address qemu.py gives the guest's NIC, which the network file matches on.
GUEST_ADDRESS = "10.0.2.15"
HOST_ADDRESS = "10.0.2.2"
GUEST_MAC = "52:54:00:12:34:56"
HOSTNAME = "ids2-test"
# initramfs-tools goes in first and on its own: installed together with the kernel, its
# trigger builds the initramfs a second time (minutes under arm64 emulation).
BASE_INSTALL_SCRIPT = """\
apt-get update -q
apt-get install -y -q --no-install-recommends initramfs-tools
apt-get install -y -q --no-install-recommends {packages}
apt-get clean
"""
CACHE_ENVIRONMENT_VARIABLE = "IDS2_SYSTEM_CACHE"

GUEST_FILES = {
    "etc/apt/sources.list": (
        f"deb {MIRROR} {SUITE} main\n"
        f"deb {MIRROR} {SUITE}-updates main\n"
        f"deb {SECURITY_MIRROR} {SUITE}-security main\n"
        f"deb {MIRROR} {SUITE}-backports main\n"
    ),
    "etc/apt/apt.conf.d/90ids2-test": 'Acquire::Languages "none";\n',
    # Test guests need neither documentation nor fsync after every file dpkg writes.
    "etc/dpkg/dpkg.cfg.d/90ids2-test": (
        "force-unsafe-io\n"
        "path-exclude=/usr/share/doc/*\npath-include=/usr/share/doc/*/copyright\n"
        "path-exclude=/usr/share/man/*\npath-exclude=/usr/share/info/*\n"
    ),
    "etc/initramfs-tools/conf.d/90ids2-test": "MODULES=list\nCOMPRESS=gzip\n",
    "etc/initramfs-tools/hooks/ids2-test-virtio": (
        "#!/bin/sh\n"
        'case "$1" in prereqs) exit 0 ;; esac\n'
        ". /usr/share/initramfs-tools/hook-functions\n"
        f"for module in {' '.join(INITRAMFS_MODULES)}; do manual_add_modules $module; done\n"
    ),
    "etc/hostname": f"{HOSTNAME}\n",
    "etc/hosts": f"127.0.0.1 localhost\n127.0.1.1 {HOSTNAME}\n::1 localhost\n",
    "etc/systemd/network/20-ids2-test-user-net.network": (
        f"[Match]\nMACAddress={GUEST_MAC}\n\n"
        f"[Network]\nAddress={GUEST_ADDRESS}/24\nGateway={HOST_ADDRESS}\n"
    ),
}
# Enabled by symlink rather than `systemctl enable`, which would also enable
# systemd-networkd-wait-online: that fails after two minutes in a guest with no NIC.
GUEST_SYMLINKS = {
    "etc/systemd/system/multi-user.target.wants/systemd-networkd.service": (
        "/lib/systemd/system/systemd-networkd.service"
    ),
    "etc/systemd/system/sockets.target.wants/systemd-networkd.socket": (
        "/lib/systemd/system/systemd-networkd.socket"
    ),
}


def default_cache_dir() -> Path:
    """$IDS2_SYSTEM_CACHE, or ~/.cache/ids2-system-tests."""
    configured = os.environ.get(CACHE_ENVIRONMENT_VARIABLE)
    return Path(configured) if configured else Path.home() / ".cache" / "ids2-system-tests"


def base_rootfs_key(arch: str, extra_packages: Sequence[str] = ()) -> str:
    """A short hash of everything that decides the base's content."""
    recipe = repr(
        (
            RECIPE_VERSION,
            SUITE,
            MIRROR,
            arch,
            BASE_PACKAGES,
            sorted(extra_packages),
            INITRAMFS_MODULES,
            BASE_INSTALL_SCRIPT,
            sorted(GUEST_FILES.items()),
            sorted(GUEST_SYMLINKS.items()),
        )
    )
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def build_base_rootfs(
    cache_dir: Path | None = None,
    arch: str = "amd64",
    extra_packages: Sequence[str] = (),
) -> Path:
    """The cached base root file system as a .tar.zst, built first if it is not cached.

    `extra_packages` are installed with apt-get after the kernel, verbatim, so
    "suricata/bookworm-backports" selects a release. Concurrent callers wait for one build.
    arm64 needs enable_arm64_emulation() first. Raises CalledProcessError when debootstrap
    or apt fail.
    """
    if arch not in KERNEL_PACKAGES:
        raise ValueError(f"unsupported architecture {arch!r}")
    cache = cache_dir or default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    name = f"base-{SUITE}-{arch}-{base_rootfs_key(arch, extra_packages)}"
    tarball = cache / f"{name}.tar.zst"
    with (cache / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if tarball.exists():
            return tarball
        # Under the lock, a build directory can only be left over from an interrupted run.
        build = cache / f"{name}.build"
        remove_tree(build)
        try:
            _debootstrap(build, arch)
            _configure(build)
            packages = [KERNEL_PACKAGES[arch], *extra_packages]
            run_in_chroot(build, BASE_INSTALL_SCRIPT.format(packages=shlex.join(packages)))
            partial = tarball.with_name(f"{tarball.name}.partial")
            _pack(build, partial)
            partial.rename(tarball)
        finally:
            remove_tree(build)
    return tarball


def _debootstrap(root: Path, arch: str) -> None:
    foreign = arch != host_arch()
    command = [
        "debootstrap", "--variant=minbase", f"--arch={arch}",
        f"--include={','.join(BASE_PACKAGES)}", *(["--foreign"] if foreign else []),
        SUITE, str(root), MIRROR,
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, stdin=subprocess.DEVNULL, timeout=1800)
        if foreign:
            subprocess.run(
                ["chroot", str(root), "/debootstrap/debootstrap", "--second-stage"],
                check=True,
                env=CHROOT_ENVIRONMENT,
                stdin=subprocess.DEVNULL,
                timeout=3600,
            )
    finally:
        unmount_all_under(root)


def _configure(root: Path) -> None:
    for relative, content in GUEST_FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    (root / "etc/initramfs-tools/hooks/ids2-test-virtio").chmod(0o755)
    for relative, target in GUEST_SYMLINKS.items():
        link = root / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)


def host_arch() -> str:
    """This machine's Debian architecture name."""
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _pack(root: Path, tarball: Path) -> None:
    subprocess.run(
        ["tar", "--create", "--file", str(tarball), "--use-compress-program", "zstd -T0 -3",
         "--xattrs", "--xattrs-include=*", "--numeric-owner", "-C", str(root), "."],
        check=True,
    )  # fmt: skip


def unpack_rootfs(tarball: Path, root: Path) -> Path:
    """Unpack a base tarball into `root` (created; must not exist yet) and return `root`."""
    root.mkdir(parents=True)
    subprocess.run(
        ["tar", "--extract", "--file", str(tarball), "--use-compress-program", "zstd",
         "--xattrs", "--xattrs-include=*", "--numeric-owner", "--same-permissions",
         "-C", str(root)],
        check=True,
    )  # fmt: skip
    return root


def install_into_rootfs(
    root: Path,
    debs: Sequence[Path] = (),
    apt_packages: Sequence[str] = (),
    backports: bool = False,
    recommends: bool = False,
    timeout: float = 2400,
) -> None:
    """apt-get install local .deb files and archive packages into `root`, in one transaction.

    Dependencies come from the archive; with `backports`, from bookworm-backports where it
    has them (`apt-get -t bookworm-backports`). Services are kept from starting. Raises
    CalledProcessError or TimeoutExpired; chroot mounts are undone either way.
    """
    staging = root / "tmp" / "ids2-test-debs"
    staging.mkdir(parents=True, exist_ok=True)
    arguments = [*(["-t", f"{SUITE}-backports"] if backports else [])]
    arguments.append("--install-recommends" if recommends else "--no-install-recommends")
    for deb in debs:
        shutil.copy2(deb, staging / deb.name)
        arguments.append(f"/tmp/ids2-test-debs/{deb.name}")
    arguments.extend(apt_packages)
    try:
        run_in_chroot(
            root,
            f"apt-get update -q\napt-get install -y -q {shlex.join(arguments)}\napt-get clean\n",
            timeout=timeout,
        )
    finally:
        shutil.rmtree(staging)


def kernel_and_initrd(root: Path) -> tuple[Path, Path]:
    """The newest kernel and its initramfs under root/boot. Raises FileNotFoundError."""
    kernels = sorted(root.glob("boot/vmlinuz-*"), key=_version_key)
    if not kernels:
        raise FileNotFoundError(f"no kernel in {root / 'boot'}")
    version = kernels[-1].name.removeprefix("vmlinuz-")
    initrd = root / "boot" / f"initrd.img-{version}"
    if not initrd.exists():
        raise FileNotFoundError(f"no initramfs {initrd}")
    return kernels[-1], initrd


def _version_key(path: Path) -> list[int]:
    return [int(number) for number in re.findall(r"\d+", path.name)]


def make_disk_image(root: Path, path: Path, size: str = "2G") -> Path:
    """An ext4 image of `root` at `path` (sparse, `size` as mkfs takes it), made with
    `mkfs.ext4 -d` rather than a loop mount. Returns `path`.

    Raises RuntimeError when something is mounted under `root`, which mkfs would copy.
    """
    if mounts_under(root):
        raise RuntimeError(f"{root} has mounts under it; unmount them first")
    subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-L", "ids2-test", "-d", str(root), str(path), size],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return path


def remove_tree(path: Path) -> None:
    """rm -rf that refuses to touch a tree with anything mounted in it (a bind-mounted /dev
    would take the host's device nodes with it)."""
    if not path.exists():
        return
    unmount_all_under(path)
    subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=True)
