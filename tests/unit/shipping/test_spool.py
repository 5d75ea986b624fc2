"""Pruning the spool: oldest days first, never today's nor a file Vector may still write."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ids2.shipping.spool import BUSY_SECONDS, day_files, prune

NOW = time.mktime((2026, 11, 25, 12, 0, 0, 0, 0, 0)) - time.timezone  # 12:00 UTC
MB = 1_000_000


def day_file(directory: Path, name: str, size: int, age_seconds: float = 3600) -> Path:
    path = directory / name
    path.write_bytes(b"x" * size)
    os.utime(path, (NOW - age_seconds, NOW - age_seconds))
    return path


def test_day_files_sort_by_day_then_name_and_ignore_the_rest(tmp_path: Path) -> None:
    for name in (
        "ids2-logs-2026.11.24.ndjson",
        "dead-letter-2026.11.23.ndjson",
        "ids2-logs-2026.11.23.ndjson",
        ".backfill-progress.json",
        "notes.txt",
        "ids2-logs-latest.ndjson",
    ):
        (tmp_path / name).write_text("{}\n")
    assert [p.name for p in day_files(tmp_path)] == [
        "dead-letter-2026.11.23.ndjson",
        "ids2-logs-2026.11.23.ndjson",
        "ids2-logs-2026.11.24.ndjson",
    ]
    assert [p.name for p in day_files(tmp_path, "ids2-logs")] == [
        "ids2-logs-2026.11.23.ndjson",
        "ids2-logs-2026.11.24.ndjson",
    ]
    assert day_files(tmp_path / "missing") == []


def test_oldest_days_go_first_dead_letters_included(tmp_path: Path) -> None:
    oldest = day_file(tmp_path, "dead-letter-2026.11.21.ndjson", 3 * MB)
    older = day_file(tmp_path, "ids2-logs-2026.11.22.ndjson", 3 * MB)
    kept = day_file(tmp_path, "ids2-logs-2026.11.24.ndjson", 3 * MB)
    today = day_file(tmp_path, "ids2-logs-2026.11.25.ndjson", 3 * MB)
    assert prune(tmp_path, 7 * MB, now=NOW) == [oldest, older]
    assert kept.exists() and today.exists()


def test_under_the_cap_nothing_goes(tmp_path: Path) -> None:
    day_file(tmp_path, "ids2-logs-2026.11.20.ndjson", MB)
    assert prune(tmp_path, 2 * MB, now=NOW) == []


def test_today_and_recently_written_files_stay_even_over_the_cap(tmp_path: Path) -> None:
    late = day_file(tmp_path, "ids2-logs-2026.11.23.ndjson", 5 * MB, age_seconds=BUSY_SECONDS / 2)
    today = day_file(tmp_path, "ids2-logs-2026.11.25.ndjson", 5 * MB, age_seconds=BUSY_SECONDS * 9)
    old = day_file(tmp_path, "ids2-logs-2026.11.24.ndjson", 5 * MB)
    assert prune(tmp_path, MB, now=NOW) == [old]
    assert late.exists(), "Vector appends late events to their own day's file"
    assert today.exists()
