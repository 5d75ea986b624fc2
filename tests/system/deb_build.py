"""The arm64 .deb, built by dpkg-buildpackage in an arm64 chroot under qemu-user emulation.

The chroot (the arm64 base plus debian/control's Build-Depends) is cached, keyed by those
dependencies: apt takes ~6.5 minutes under emulation, the build itself ~8 minutes.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from tests.system.rootfs import base_rootfs, cache_dir, cached_tree, in_chroot

BINFMT_ENTRY = Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")
BUILD_TOOLS = "build-essential, fakeroot"
# The host's CA bundle replaces the chroot's: where HTTPS goes through a proxy with its own
# CA, pip in the chroot fails certificate checks otherwise. Both variables point pip at it:
# requests lets REQUESTS_CA_BUNDLE (often inherited from the host) override PIP_CERT.
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def emulation_ready() -> bool:
    """Whether arm64 programs run here: qemu-user-static's binfmt entry, enabled, with the F
    flag (the interpreter is opened at registration, so it works inside a chroot)."""
    if not BINFMT_ENTRY.exists():
        return False
    lines = BINFMT_ENTRY.read_text().splitlines()
    flags = next((line.split(":", 1)[1] for line in lines if line.startswith("flags:")), "")
    return "enabled" in lines and "F" in flags


def build_depends(control: Path) -> str:
    """The source paragraph's Build-Depends, in the form `apt-get satisfy` takes."""
    source = control.read_text().split("\n\n")[0]
    field = re.search(r"^Build-Depends:(.*(?:\n[ \t].*)*)", source, re.MULTILINE)
    if field is None:
        raise ValueError(f"{control}: the source paragraph has no Build-Depends")
    return " ".join(field.group(1).split())


def build_chroot(root: Path, control: Path) -> Path:
    """A fresh copy at `root` of the cached arm64 chroot with the package's build deps."""
    depends = f"{BUILD_TOOLS}, {build_depends(control)}"
    key = hashlib.sha256(depends.encode()).hexdigest()[:16]

    def install(build: Path) -> None:
        build.rmdir()
        base_rootfs(build, "arm64")
        in_chroot(
            build,
            f"apt-get update -q\napt-get satisfy -y -q --no-install-recommends '{depends}'\n"
            "apt-get clean",
            timeout=3600,
        )

    return cached_tree(cache_dir() / f"bookworm-arm64-build-{key}.tar", install, root)


def build_deb(root: Path, source: Path, output: Path) -> Path:
    """dpkg-buildpackage the git tree at `source` (tracked and untracked, not ignored files,
    as `make deb` does) in the chroot at `root`; the .deb is moved to `output`."""
    tree = root / "build/ids2"
    tree.mkdir(parents=True)
    files = subprocess.run(
        ["git", "-C", str(source), "ls-files", "-co", "--exclude-standard", "-z"],
        capture_output=True,
        check=True,
    ).stdout
    archive = subprocess.run(
        ["tar", "-C", str(source), "--null", "-T", "-", "-cf", "-"],
        input=files,
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-C", str(tree), "-xf", "-"], input=archive, check=True)
    shutil.copy(CA_BUNDLE, root / CA_BUNDLE.lstrip("/"))
    in_chroot(
        root,
        f"export PIP_CERT={CA_BUNDLE} REQUESTS_CA_BUNDLE={CA_BUNDLE}\n"
        "cd /build/ids2\ndpkg-buildpackage -us -uc -b",
        timeout=3600,
    )
    deb = sorted((root / "build").glob("ids2_*_arm64.deb"))[-1]
    output.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(deb, output / deb.name))
