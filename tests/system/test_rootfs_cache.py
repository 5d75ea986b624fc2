"""The rootfs cache's own behaviour on the host (fast, no marker; mounting needs root)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.system.rootfs import cached_tree

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")


def test_a_build_interrupted_with_mounts_inside_is_unmounted_then_rebuilt(tmp_path: Path) -> None:
    """A timed-out debootstrap leaves /proc and /sys mounted in its tree; the next build
    must unmount them before it removes the tree, not fail on (or descend into) them."""
    tarball = tmp_path / "base.tar"
    left = tarball.with_suffix(".build") / "proc"
    left.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(left)], check=True)
    (left / "kept-by-the-mount").write_text("x")

    def build(tree: Path) -> None:
        (tree / "built").write_text("yes")

    root = cached_tree(tarball, build, tmp_path / "copy")
    assert (root / "built").read_text() == "yes"
    assert not os.path.ismount(left)
    assert str(tmp_path) not in Path("/proc/self/mounts").read_text()
