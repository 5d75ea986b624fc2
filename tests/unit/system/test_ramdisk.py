"""The high-water guard spares the file being written and stops when nothing is left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ids2.system.ramdisk import GuardReport, enforce, rotated_files


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
