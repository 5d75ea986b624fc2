"""The high-water guard spares the file being written and stops when nothing is left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ids2.system.ramdisk import (
    GuardReport,
    count_lines,
    enforce,
    prune_alerts,
    room_below,
    rotated_files,
)


def test_newest_file_is_never_a_candidate(tmp_path: Path) -> None:
    for number, name in enumerate(["eve-1.json", "eve-2.json", "eve-3.json", "other.json"]):
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, (number, number))
    assert [p.name for p in rotated_files(tmp_path)] == ["eve-1.json", "eve-2.json"]


def test_full_disk_with_only_the_live_file_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "eve-live.json").write_text("x" * 10)
    monkeypatch.setattr("ids2.system.ramdisk.usage_ratio", lambda directory: 0.99)
    report = GuardReport()
    assert enforce(tmp_path, 90, report) == []
    assert (tmp_path / "eve-live.json").exists() and report.lost_bytes_total == 0


def test_alerts_copies_go_after_an_hour_but_never_the_live_one(tmp_path: Path) -> None:
    # alerts.json.1000000003 is the live file, idle for two hours: no alert came in that time.
    for name, age in (
        ("alerts.json.1000000001", 7400),
        ("alerts.json.1000000002", 7300),
        ("alerts.json.1000000003", 7200),
    ):
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, (10_000 - age, 10_000 - age))
    (tmp_path / "eve-1.json").write_text("x")
    os.utime(tmp_path / "eve-1.json", (0, 0))
    pruned = prune_alerts(tmp_path, 10_000)
    assert [path.name for path in pruned] == ["alerts.json.1000000001", "alerts.json.1000000002"]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "alerts.json.1000000003",
        "eve-1.json",
    ]


def test_above_the_mark_alerts_copies_go_first_and_are_not_counted_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number, name in enumerate(
        ["eve-1.json", "alerts.json.1000000001", "alerts.json.1000000002", "eve-2.json"]
    ):
        (tmp_path / name).write_text('{"a":1}\n{"b"')
        os.utime(tmp_path / name, (number, number))
    usage = iter([0.99, 0.95, 0.5])
    monkeypatch.setattr("ids2.system.ramdisk.usage_ratio", lambda directory: next(usage))
    report = GuardReport()
    assert [path.name for path in enforce(tmp_path, 90, report)] == [
        "alerts.json.1000000001",
        "eve-1.json",
    ]
    assert (report.lost_bytes_total, report.lost_events_total, report.dropped_files_total) == (
        12,
        2,
        1,
    )


@pytest.mark.parametrize(
    ("content", "events"), [(b"", 0), (b"{}\n", 1), (b"{}\n{}", 2), (b"{}\n" * 300_000, 300_000)]
)
def test_lines_are_counted_across_chunks(tmp_path: Path, content: bytes, events: int) -> None:
    (tmp_path / "eve-1.json").write_bytes(content)
    assert count_lines(tmp_path / "eve-1.json") == events


def test_room_below_a_fill_level(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A 100-block file system with 30 blocks free to unprivileged writers: 70 % used."""
    stats = os.statvfs_result((4096, 4096, 100, 35, 30, 0, 0, 0, 0, 255))
    monkeypatch.setattr("ids2.system.ramdisk.os.statvfs", lambda directory: stats)
    assert room_below(tmp_path, 80) == 10 * 4096
    assert room_below(tmp_path, 70) == 0
    assert room_below(tmp_path, 50) == 0
