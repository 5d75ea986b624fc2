"""The .deb of one Debian release and architecture, built by dpkg-buildpackage in a clean
chroot of that release, and checked there by that release's own lintian.

`make deb DIST=trixie|bookworm [ARCH=arm64]` runs this module, so one x86 machine builds all
four packages; a foreign architecture runs under qemu-user emulation. The chroot (the
release's base plus debian/control's Build-Depends and lintian) is cached, keyed by those
packages: apt takes ~6.5 minutes under arm64 emulation, the build itself ~8 minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.system.rootfs import (
    RELEASES,
    base_rootfs,
    cache_dir,
    cached_tree,
    host_arch,
    in_chroot,
)

ROOT_DIR = Path(__file__).resolve().parents[2]
BINFMT_ENTRIES = {"arm64": Path("/proc/sys/fs/binfmt_misc/qemu-aarch64")}
BUILD_TOOLS = "build-essential, fakeroot, lintian"
# The host's CA bundle replaces the chroot's: where HTTPS goes through a proxy with its own
# CA, pip in the chroot fails certificate checks otherwise. Both variables point pip at it:
# requests lets REQUESTS_CA_BUNDLE (often inherited from the host) override PIP_CERT.
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def emulation_ready(arch: str = "arm64") -> bool:
    """Whether `arch` programs run here: natively, or through qemu-user-static's binfmt
    entry, enabled, with the F flag (the interpreter is opened at registration, so it works
    inside a chroot)."""
    if arch == host_arch():
        return True
    entry = BINFMT_ENTRIES.get(arch)
    if entry is None or not entry.exists():
        return False
    lines = entry.read_text().splitlines()
    flags = next((line.split(":", 1)[1] for line in lines if line.startswith("flags:")), "")
    return "enabled" in lines and "F" in flags


def build_depends(control: Path) -> str:
    """The source paragraph's Build-Depends, in the form `apt-get satisfy` takes."""
    source = control.read_text().split("\n\n")[0]
    field = re.search(r"^Build-Depends:(.*(?:\n[ \t].*)*)", source, re.MULTILINE)
    if field is None:
        raise ValueError(f"{control}: the source paragraph has no Build-Depends")
    return " ".join(field.group(1).split())


def build_chroot(root: Path, control: Path, release: str, arch: str) -> Path:
    """A fresh copy at `root` of the cached chroot of `release` for `arch` with the
    package's build dependencies."""
    depends = f"{BUILD_TOOLS}, {build_depends(control)}"
    key = hashlib.sha256(f"{RELEASES[release]}:{depends}".encode()).hexdigest()[:16]

    def install(build: Path) -> None:
        build.rmdir()
        base_rootfs(build, arch, release)
        in_chroot(
            build,
            "apt-get update -q\napt-get satisfy -y -q --no-install-recommends "
            f"{' '.join(RELEASES[release].apt_target)} '{depends}'\n"
            "apt-get clean",
            timeout=3600,
        )

    return cached_tree(cache_dir() / f"{release}-{arch}-build-{key}.tar", install, root)


def copy_source(source: Path, tree: Path) -> None:
    """The files git knows at `source` (tracked, and untracked but not ignored, as `make deb`
    takes them) into `tree`."""
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


def build_deb(root: Path, source: Path, output: Path, arch: str) -> Path:
    """dpkg-buildpackage the tree at `source` in the chroot at `root`, then lintian it there
    (errors and warnings fail); the .deb is moved to `output`."""
    copy_source(source, root / "build/ids2")
    shutil.copy(CA_BUNDLE, root / CA_BUNDLE.lstrip("/"))
    in_chroot(
        root,
        f"export PIP_CERT={CA_BUNDLE} REQUESTS_CA_BUNDLE={CA_BUNDLE}\n"
        "cd /build/ids2\ndpkg-buildpackage -us -uc -b\n"
        f"lintian --fail-on error,warning /build/ids2_*_{arch}.deb",
        timeout=3600,
    )
    deb = sorted((root / "build").glob(f"ids2_*_{arch}.deb"))[-1]
    output.mkdir(parents=True, exist_ok=True)
    return Path(shutil.move(deb, output / deb.name))


def build_package(release: str, arch: str, output: Path, scratch: Path) -> Path:
    """The lintian-clean .deb of `release` for `arch` in `output`, built in a chroot made
    under `scratch` (removed afterwards)."""
    if not emulation_ready(arch):
        raise RuntimeError(f"{arch} programs cannot run here (binfmt_misc, qemu-user-static)")
    chroot = build_chroot(scratch / f"{release}-{arch}", ROOT_DIR / "debian/control", release, arch)
    try:
        return build_deb(chroot, ROOT_DIR, output, arch)
    finally:
        subprocess.run(["rm", "-rf", str(chroot)], check=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", required=True, choices=sorted(RELEASES))
    parser.add_argument("--arch", default=host_arch())
    parser.add_argument("--output", type=Path, default=ROOT_DIR / "dist")
    arguments = parser.parse_args(argv)
    scratch = ROOT_DIR / "build/chroot"
    scratch.mkdir(parents=True, exist_ok=True)
    deb = build_package(arguments.dist, arguments.arch, arguments.output, scratch)
    print(deb)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
