"""EVE rotation on a real, small tmpfs: nothing lost while the reader keeps up; loss counted
when it does not."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ids2.system.ramdisk import GuardReport, enforce

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root"),
]
EVENT = b'{"event_type":"flow","pad":"' + b"x" * 900 + b'"}\n'
EVENTS_PER_FILE = 200  # ~180 KiB per rotated file


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "ram"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], check=True)
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=True)


def write_file(directory: Path, number: int) -> None:
    """Suricata's part: one rotated EVE file (the newest is the one being written)."""
    with (directory / f"eve-{number:06d}.json").open("wb") as handle:
        handle.write(EVENT * EVENTS_PER_FILE)


def read_rotated(directory: Path) -> int:
    """The shipper's part: read each finished file to the end, then delete it."""
    events = 0
    files = sorted(directory.glob("eve*.json"))
    for path in files[:-1]:
        events += path.read_bytes().count(b"\n")
        path.unlink()
    return events


def run(directory: Path, files: int, read_every: int) -> tuple[int, int, GuardReport]:
    report, read = GuardReport(), 0
    for number in range(files):
        write_file(directory, number)
        enforce(directory, 80, report)
        if number % read_every == 0:
            read += read_rotated(directory)
    read += read_rotated(directory) + sum(
        path.read_bytes().count(b"\n") for path in directory.glob("eve*.json")
    )
    return files * EVENTS_PER_FILE, read, report


def test_nothing_is_lost_while_the_reader_keeps_up(tmpfs: Path) -> None:
    written, read, report = run(tmpfs, files=200, read_every=2)  # 36 MB through 4 MB
    assert report.lost_bytes_total == 0 and report.dropped_files_total == 0
    assert read == written


def test_the_loss_is_counted_when_the_reader_falls_behind(tmpfs: Path) -> None:
    written, read, report = run(tmpfs, files=200, read_every=40)
    assert report.dropped_files_total > 0
    assert report.lost_bytes_total == report.lost_events_total * len(EVENT)
    assert read + report.lost_events_total == written, "every event is shipped or counted lost"
