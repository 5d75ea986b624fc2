"""What the machine running the system tests needs: Debian packages, and for arm64 guests,
binfmt_misc with QEMU's user-mode emulator so that arm64 programs run inside a chroot."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

APT_PACKAGES_FILE = Path(__file__).with_name("apt-packages.txt")
BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")


class HostNotReady(Exception):
    """The host lacks something the system tests need and cannot get it by itself."""


def host_packages() -> list[str]:
    """The Debian packages listed in apt-packages.txt (comments and blank lines skipped)."""
    lines = APT_PACKAGES_FILE.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def missing_host_packages() -> list[str]:
    """The packages from apt-packages.txt that dpkg does not report as installed."""
    missing = []
    for package in host_packages():
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package],
            capture_output=True,
            text=True,
            check=False,
        )
        if status.stdout != "install ok installed":
            missing.append(package)
    return missing


def install_host_packages() -> None:
    """Install the missing host packages with apt-get; does nothing when all are there.

    Raises HostNotReady when packages are missing and this process is not root, and
    CalledProcessError when apt-get fails.
    """
    missing = missing_host_packages()
    if not missing:
        return
    if os.geteuid() != 0:
        raise HostNotReady(f"missing Debian packages: {' '.join(missing)} (run as root)")
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=environment)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
        check=True,
        env=environment,
    )


def enable_arm64_emulation() -> bool:
    """Make arm64 programs runnable on this amd64 host; True when they are.

    Mounts binfmt_misc if needed and enables qemu-user-static's qemu-aarch64 entry. The
    entry must carry the F flag (the kernel opens the emulator when it is registered), or
    programs inside a chroot could not find it.
    """
    if os.uname().machine == "aarch64":
        return True
    if os.geteuid() != 0:
        return False
    if not (BINFMT_DIR / "register").exists():
        subprocess.run(
            ["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)],
            capture_output=True,
            check=False,
        )
    subprocess.run(["update-binfmts", "--enable", "qemu-aarch64"], capture_output=True, check=False)
    entry = BINFMT_DIR / "qemu-aarch64"
    if not entry.exists():
        return False
    lines = entry.read_text().splitlines()
    flags = next((line.split(":", 1)[1] for line in lines if line.startswith("flags:")), "")
    return "enabled" in lines and "F" in flags
