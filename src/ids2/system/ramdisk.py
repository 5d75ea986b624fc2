"""The RAM disk's last-resort guard: above the high-water mark, drop the oldest EVE file.

Normally Vector deletes each rotated EVE file once it has read it to the end, so the
tmpfs never fills. If shipping stalls long enough for it to pass the mark anyway, the
oldest rotated file goes (never the one Suricata is writing), and its bytes are counted
as lost, so the loss shows in metrics instead of Suricata failing to write.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class GuardReport:
    """Running totals of what the guard had to drop."""

    lost_bytes_total: int = 0
    dropped_files_total: int = 0


def usage_ratio(directory: Path) -> float:
    """How full the file system holding `directory` is (0-1)."""
    stats = os.statvfs(directory)
    total = stats.f_blocks * stats.f_frsize
    return 1 - stats.f_bavail * stats.f_frsize / total if total else 0.0


def rotated_files(directory: Path) -> list[Path]:
    """EVE files oldest first, without the newest one (Suricata is writing it)."""
    files = sorted(directory.glob("eve*.json"), key=lambda path: (path.stat().st_mtime, path.name))
    return files[:-1]


def enforce(directory: Path, high_water_percent: int, report: GuardReport) -> list[Path]:
    """Drop oldest rotated files until usage is under the mark; the files dropped."""
    dropped = []
    while usage_ratio(directory) * 100 > high_water_percent:
        candidates = rotated_files(directory)
        if not candidates:
            break
        oldest = candidates[0]
        try:
            size = oldest.stat().st_size
            oldest.unlink()
        except FileNotFoundError:
            continue  # the shipper finished it in the meantime: nothing lost
        report.lost_bytes_total += size
        report.dropped_files_total += 1
        dropped.append(oldest)
        log.warning(
            "RAM disk above %d %%: dropped %s unshipped (%d bytes)",
            high_water_percent,
            oldest.name,
            size,
        )
    return dropped
