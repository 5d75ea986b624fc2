"""A Debian release's own Python with ids2 in a venv, in a chroot: for benchmarks that must
measure the interpreter a sensor runs (trixie's 3.13) on this Debian 12 machine.

The root is the cached base of rootfs.py plus python3-venv and a venv at the package's path
(/opt/venvs/ids2) holding the pinned requirements, itself cached as a tarball keyed by
requirements.lock. Each run installs this tree into it (no dependencies: they are pinned
already), so the controllers run from site-packages as on a sensor. The chroot shares the
host's network, so a node on the host's loopback is reachable from inside. Needs root.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.system.rootfs import base_rootfs, cache_dir, cached_tree, chroot_mounts, in_chroot

TREE = Path(__file__).resolve().parents[2]
VENV = "/opt/venvs/ids2"
SOURCE = "/src"
RECIPE_VERSION = "1"


def _build(root: Path, release: str, lock: bytes) -> None:
    root.rmdir()  # base_rootfs unpacks into a directory of its own making
    base_rootfs(root, "amd64", release)
    (root / "tmp/requirements.lock").write_bytes(lock)
    # The host's CA bundle, for a network whose HTTPS proxy has its own CA (pip's `cert`).
    shutil.copy(
        os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt"), root / "tmp/ca.crt"
    )
    pip = f"PIP_CERT=/tmp/ca.crt SSL_CERT_FILE=/tmp/ca.crt {VENV}/bin/pip install -q --no-cache-dir"
    in_chroot(
        root,
        "apt-get update -q\n"
        "apt-get install -y -q --no-install-recommends python3-venv\n"
        "apt-get clean\n"
        f"python3 -m venv {VENV}\n"
        f"{pip} -r /tmp/requirements.lock\n"
        # What the package's build preinstalls (debian/rules); each run builds without network.
        f"{pip} 'setuptools>=66' wheel\n"
        "rm /tmp/requirements.lock /tmp/ca.crt",
    )


@contextlib.contextmanager
def release_venv(root: Path, release: str = "trixie") -> Iterator[Path]:
    """`release`'s root at `root` (which must not exist) with this tree installed in its
    venv, /proc, /sys and /dev mounted and the tree at /src, unmounted afterwards."""
    lock = (TREE / "requirements.lock").read_bytes()
    key = hashlib.sha256(f"{RECIPE_VERSION}:{release}:".encode() + lock).hexdigest()[:16]
    tarball = cache_dir() / f"venv-{release}-amd64-{key}.tar"
    cached_tree(tarball, lambda build: _build(build, release, lock), root)
    (root / SOURCE.lstrip("/")).mkdir()
    with chroot_mounts(root):
        subprocess.run(["mount", "--bind", "-o", "ro", str(TREE), str(root / "src")], check=True)
        try:
            # Built from a copy of what the package holds: the tree is mounted read-only.
            chroot(
                root,
                "rm -rf /tmp/ids2-source && mkdir /tmp/ids2-source\n"
                "cp -r /src/pyproject.toml /src/README.md /src/src /tmp/ids2-source\n"
                f"{VENV}/bin/pip install -q --no-deps --no-build-isolation /tmp/ids2-source",
            )
            yield root
        finally:
            subprocess.run(["umount", "-l", str(root / "src")], check=False)


def chroot(root: Path, script: str, timeout: float = 1800) -> None:
    """Run a shell script inside `root`, already mounted."""
    subprocess.run(
        ["chroot", str(root), "/bin/sh", "-euc", script],
        check=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
