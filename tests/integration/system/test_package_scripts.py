"""The package's postinst and postrm with a `suricata` user an administrator made before
ids2 came (Debian's suricata package makes none): postinst gives that user what the one it
makes has, and purge takes away only what ids2 made.

The scripts run for real (adduser, deluser, install) in a mount namespace of their own over
copies of /etc, /var/lib and /run, so this machine's users and files stay as they are."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

DEBIAN = Path(__file__).resolve().parents[3] / "debian"
SANDBOXED = ("/etc", "/var/lib", "/run")

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mount namespaces and adduser need root"),
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("unshare", "adduser", "deluser")),
        reason="needs unshare and Debian's adduser",
    ),
]


class Sandbox:
    """Copies of /etc (users and groups), and empty /var/lib and /run, for the scripts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copytree("/etc", root / "etc", symlinks=True)
        for directory in SANDBOXED[1:]:
            (root / directory.strip("/")).mkdir(parents=True)

    def run(self, command: str) -> str:
        """`command` (sh) with the copies mounted over the real directories; its output."""
        mounts = [f"mount --bind {self.root / d.strip('/')} {d}" for d in SANDBOXED]
        script = " && ".join([*mounts, command])
        result = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def suricata(self) -> str:
        """The suricata user's groups and the owner of the pcap ring's directory, or what
        is missing."""
        return self.run(
            "id -nG suricata 2>/dev/null || echo no user; "
            "getent group suricata >/dev/null || echo no group; "
            "stat -c 'pcap %U' /var/lib/ids2/pcap 2>/dev/null || true"
        )


@pytest.mark.parametrize(
    ("before", "installed", "purged"),
    [
        # None yet: postinst makes it with its group, and purge removes both.
        ("true", "suricata\npcap suricata\n", "no user\nno group\n"),
        # An administrator's, in nogroup: it is given the suricata group the units run
        # Suricata in; purge removes that group and leaves the user.
        (
            "adduser --system --quiet suricata",
            "nogroup suricata\npcap suricata\n",
            "nogroup\nno group\n",
        ),
        # An administrator's with its own group: used as it is, and left as it is.
        ("adduser --system --group --quiet suricata", "suricata\npcap suricata\n", "suricata\n"),
    ],
)
def test_purge_removes_only_what_the_package_made(
    tmp_path: Path, before: str, installed: str, purged: str
) -> None:
    sandbox = Sandbox(tmp_path)
    sandbox.run(before)
    uid = sandbox.run("id -u suricata 2>/dev/null || true")
    sandbox.run(f"sh {DEBIAN / 'ids2.postinst'} configure >/dev/null 2>&1")
    assert sandbox.suricata() == installed
    sandbox.run(f"sh {DEBIAN / 'ids2.postrm'} purge")
    assert sandbox.suricata() == purged
    assert sandbox.run("id -u suricata 2>/dev/null || true") == uid  # the same user, or none
    assert sandbox.run("id ids2 2>/dev/null || echo gone") == "gone\n"
