"""Moving the RAM disk's files from one real tmpfs to another: nothing lost, names, modes
and owners kept, and the new RAM disk must hold what is on the old one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ids2.common.rendered import ValidationError
from ids2.errors import Ids2Error
from ids2.system.ramdisk_move import move_tree
from ids2.system.render import MOUNT_UNIT, check_size_holds_the_ramdisk

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root"),
]


@pytest.fixture
def two_tmpfs(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    points = (tmp_path / "old", tmp_path / "new")
    for point in points:
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(point)], check=True)
    try:
        yield points
    finally:
        for point in points:
            subprocess.run(["umount", str(point)], check=True)


def test_every_file_moves_with_its_owner_and_mode(two_tmpfs: tuple[Path, Path]) -> None:
    old, new = two_tmpfs
    (old / "eve-20260101T000000.json").write_text('{"event_type": "flow"}\n')
    (old / "canary").mkdir(mode=0o750)
    os.chown(old / "canary", 4321, 4321)
    canary = old / "canary" / "canary.json"
    canary.write_text('{"canary": 1}\n')
    os.chown(canary, 4321, 4321)
    canary.chmod(0o640)
    assert move_tree(old, new) == 2
    assert list(old.iterdir()) == []
    assert (new / "eve-20260101T000000.json").read_text() == '{"event_type": "flow"}\n'
    moved = new / "canary" / "canary.json"
    assert moved.read_text() == '{"canary": 1}\n'
    assert (moved.stat().st_uid, moved.stat().st_gid, moved.stat().st_mode & 0o777) == (
        4321,
        4321,
        0o640,
    )
    assert (new / "canary").stat().st_uid == 4321
    assert (new / "canary").stat().st_mode & 0o777 == 0o750


def test_a_file_already_on_the_new_ram_disk_is_never_overwritten(
    two_tmpfs: tuple[Path, Path],
) -> None:
    old, new = two_tmpfs
    (old / "eve.json").write_text("old\n")
    (new / "eve.json").write_text("new\n")
    with pytest.raises(Ids2Error, match="is already there"):
        move_tree(old, new)
    assert (old / "eve.json").read_text() == "old\n"
    assert (new / "eve.json").read_text() == "new\n"


def test_the_new_size_must_hold_what_is_on_the_old_ram_disk(
    two_tmpfs: tuple[Path, Path], tmp_path: Path
) -> None:
    """The size check measures the RAM disk the installed unit mounts, the one whose files
    a move takes along."""
    old, _ = two_tmpfs
    (old / "eve.json").write_bytes(b"x" * 10 * 2**20)
    rendered = tmp_path / "rendered"
    rendered.mkdir()
    (rendered / MOUNT_UNIT).write_text(f"[Mount]\nWhere={old}\nOptions=size=16m\n")
    candidate = rendered / f".{MOUNT_UNIT}.candidate"
    candidate.write_text("[Mount]\nWhere=/srv/elsewhere\nOptions=size=8m,mode=0755\n")
    with pytest.raises(ValidationError, match=r"less than the 10 MiB on .*/old"):
        check_size_holds_the_ramdisk(candidate)
    candidate.write_text("[Mount]\nWhere=/srv/elsewhere\nOptions=size=12m,mode=0755\n")
    assert "holds the 10 MiB" in check_size_holds_the_ramdisk(candidate)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv")
def test_root_with_only_cap_chown_moves_another_users_files(two_tmpfs: tuple[Path, Path]) -> None:
    """As the deploy unit runs it: root whose only capability is CAP_CHOWN, so no
    permission check is skipped, moving a directory and a private file of another user."""
    old, new = two_tmpfs
    (old / "canary").mkdir(mode=0o755)
    private = old / "canary" / "canary.json"
    private.write_text('{"canary": 1}\n')
    private.chmod(0o600)
    for path in (old / "canary", private):
        os.chown(path, 4321, 4321)
    code = "import sys; from pathlib import Path; from ids2.system.ramdisk_move import move_tree;"
    code += "print(move_tree(Path(sys.argv[1]), Path(sys.argv[2])))"
    result = subprocess.run(
        [
            "setpriv",
            "--bounding-set",
            "-all,+chown",
            sys.executable,
            "-c",
            code,
            str(old),
            str(new),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "1", result.stderr
    moved = new / "canary" / "canary.json"
    assert moved.read_text() == '{"canary": 1}\n'
    assert (moved.stat().st_uid, moved.stat().st_mode & 0o777) == (4321, 0o600)
    assert ((new / "canary").stat().st_uid, (new / "canary").stat().st_mode & 0o777) == (
        4321,
        0o755,
    )
    assert list(old.iterdir()) == []
