"""The RAM disk's housekeeping: the alerts copies' lifetime, and the last-resort guard.

Normally Vector deletes each rotated EVE file once it has read it to the end, so the
tmpfs never fills. If shipping stalls long enough for it to pass the high-water mark
anyway, the oldest rotated file goes (never the one Suricata is writing), and its bytes
are counted as lost, in bytes and in events (its lines, counted before it goes), so the
loss shows in metrics instead of Suricata failing to write.

Suricata also writes the alerts alone to alerts.json.*. Vector never reads those (the
same alerts are in the EVE files), so they are deleted here: a rotated one once it is
ALERTS_KEEP_SECONDS old, and before any EVE file above the mark. Their events were
shipped from the EVE files, so dropping them loses nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from ids2.common.eve_files import ALERTS_GLOB, EVE_GLOB
from ids2.logsetup import Logger

log = Logger(__name__)
# Long enough for `ids2 alerts --follow` and other local readers to catch up after a pause.
ALERTS_KEEP_SECONDS = 3600


class GuardReport:
    """Running totals of what the guard had to drop.

    A plain class rather than a dataclass: see the `ids2` package.
    """

    __slots__ = ("dropped_files_total", "lost_bytes_total", "lost_events_total")

    def __init__(self) -> None:
        self.lost_bytes_total = 0
        self.lost_events_total = 0
        self.dropped_files_total = 0


def usage_ratio(directory: Path) -> float:
    """How full the file system holding `directory` is (0-1)."""
    stats = os.statvfs(directory)
    total = stats.f_blocks * stats.f_frsize
    return 1 - stats.f_bavail * stats.f_frsize / total if total else 0.0


def room_below(directory: Path, percent: float) -> int:
    """Bytes that can still be written to the file system holding `directory` before it is
    `percent` % full (0 when it is already past that)."""
    stats = os.statvfs(directory)
    total = stats.f_blocks * stats.f_frsize
    used = total - stats.f_bavail * stats.f_frsize
    return max(int(total * percent / 100) - used, 0)


def rotated_files(directory: Path, pattern: str = EVE_GLOB) -> list[Path]:
    """One stream's files oldest first, without the newest one (Suricata is writing it)."""
    files = sorted(directory.glob(pattern), key=lambda path: (path.stat().st_mtime, path.name))
    return files[:-1]


def count_lines(path: Path) -> int:
    """Events in an EVE file: one per line, the last one counted even if cut short."""
    lines, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (last != b"\n")


def prune_alerts(directory: Path, now: float) -> list[Path]:
    """Delete the rotated alerts files older than ALERTS_KEEP_SECONDS; the files deleted."""
    expired = [
        path
        for path in rotated_files(directory, ALERTS_GLOB)
        if now - path.stat().st_mtime > ALERTS_KEEP_SECONDS
    ]
    for path in expired:
        path.unlink(missing_ok=True)
    return expired


def enforce(directory: Path, high_water_percent: int, report: GuardReport) -> list[Path]:
    """Drop oldest rotated files until usage is under the mark, alerts copies first; the
    files dropped."""
    dropped = []
    while usage_ratio(directory) * 100 > high_water_percent:
        copies = rotated_files(directory, ALERTS_GLOB)
        if copies:
            copies[0].unlink(missing_ok=True)
            dropped.append(copies[0])
            continue
        candidates = rotated_files(directory)
        if not candidates:
            break
        oldest = candidates[0]
        try:
            size = oldest.stat().st_size
            events = count_lines(oldest)
            oldest.unlink()
        except FileNotFoundError:
            continue  # the shipper finished it in the meantime: nothing lost
        report.lost_bytes_total += size
        report.lost_events_total += events
        report.dropped_files_total += 1
        dropped.append(oldest)
        log.warning(
            "RAM disk above %d %%: dropped %s unshipped (%d events, %d bytes)",
            high_water_percent,
            oldest.name,
            events,
            size,
        )
    return dropped
