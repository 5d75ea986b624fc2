"""Moving the RAM disk when `ramdisk.mount_point` changes, without losing what is on it.

The files on the old RAM disk are moved to the new one, rather than the old one left
mounted until it is empty: once the deploy has brought the stack up on the new path,
nothing reads the old one any more (Vector, EveBox and the RAM-disk guard each follow one
path, the configured one), so it would never empty. A moved file keeps its name, and Vector
knows a file by the checksum of its first line, not its path, so it goes on reading each
from where it stopped instead of shipping it twice.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ids2.errors import Ids2Error
from ids2.system.unit_names import mount_unit_name
from ids2.system.units import systemctl

WRITERS = ("suricata.service", "ids2-resource.service", "ids2-verify.service")
"""The units that write the RAM disk and run all the time: stopped while its files move,
started again on the new path (their sandboxes open it only at start)."""


def _own(path: Path, owner: int) -> None:
    """Make `path` ours for the move: the deploy is root with CAP_CHOWN but without
    CAP_DAC_OVERRIDE, so it reads and deletes only what it owns (the canary directory and
    its file are the ids2 user's); each moved file gets its owner back."""
    if owner != os.geteuid():
        os.chown(path, os.geteuid(), -1, follow_symlinks=False)


def move_tree(source: Path, target: Path) -> int:
    """Move everything under `source` to `target` (another file system: copied, then
    deleted), keeping names, modes and owners; the number of files moved.

    Raises Ids2Error, leaving that file and the rest where they were, when a file of the
    same name is already on the target."""
    moved = 0
    for entry in sorted(source.iterdir()):
        destination = target / entry.name
        status = entry.lstat()
        if entry.is_dir() and not entry.is_symlink():
            _own(entry, status.st_uid)
            destination.mkdir(mode=0o700, exist_ok=True)
            _own(destination, destination.stat().st_uid)
            moved += move_tree(entry, destination)
            entry.rmdir()
            os.chmod(destination, status.st_mode & 0o7777)  # while it is still ours
            os.chown(destination, status.st_uid, status.st_gid)
            continue
        if destination.exists() or destination.is_symlink():
            raise Ids2Error(f"moving the RAM disk: {destination} is already there; {entry} stays")
        _own(entry, status.st_uid)
        partial = destination.with_name(f".{entry.name}.moving")
        try:
            shutil.copy2(entry, partial, follow_symlinks=False)
            os.chown(partial, status.st_uid, status.st_gid, follow_symlinks=False)
            os.replace(partial, destination)
        finally:
            partial.unlink(missing_ok=True)
        entry.unlink()
        moved += 1
    return moved


def move_ramdisk(old_points: list[Path], unit: str, mount_point: Path) -> str:
    """Mount the new RAM disk (`unit` at `mount_point`), stop its writers, move the old
    RAM disks' files there, unmount the old ones and start the writers again, Suricata
    now writing to the new path; what was done, in one line.

    An old RAM disk whose files could not all be moved stays mounted, with them."""
    systemctl("start", unit)
    states = {writer: systemctl("is-active", writer, check=False).strip() for writer in WRITERS}
    running = [writer for writer, state in states.items() if state in ("active", "activating")]
    if running:
        systemctl("stop", *running)
    done = [f"RAM disk moved to {mount_point}"]
    try:
        for old in old_points:
            try:
                done.append(f"{move_tree(old, mount_point)} files moved from {old}")
            except OSError as error:
                raise Ids2Error(
                    f"moving the RAM disk from {old} to {mount_point}: {error}; what was not "
                    f"moved stays on {old}, which stays mounted"
                ) from error
            try:
                systemctl("stop", mount_unit_name(str(old)))
            except Ids2Error as error:
                done.append(f"{old} stays mounted, empty: {error}")
    finally:
        if running:
            systemctl("start", "--no-block", *running)
    return ", ".join(done)
