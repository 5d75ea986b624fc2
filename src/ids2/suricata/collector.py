"""Suricata's counters from the latest EVE stats events, and the RAM disk holding them.

Suricata writes a stats event every 30 s. The collector reads only the tail of the newest
EVE files, takes the last two stats events, and derives the drop ratio of that interval
from their difference, so it needs no memory of earlier scrapes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prometheus_client.core import Metric

from ids2.common.families import counter, gauge
from ids2.state import StateStore

TAIL_BYTES = 512 * 1024


def _tail_lines(path: Path, size: int) -> list[bytes]:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        length = handle.tell()
        handle.seek(max(length - size, 0))
        data = handle.read()
    lines = data.split(b"\n")
    return lines if length <= size else lines[1:]  # the first line may be cut


def latest_events(eve_dir: Path, event_type: str, count: int) -> list[dict[str, Any]]:
    """The last `count` events of one type, oldest first, from the tails of the newest EVE files."""
    try:
        files = sorted(eve_dir.glob("eve*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return []
    marker = f'"{event_type}"'.encode()
    found: list[dict[str, Any]] = []
    for path in files[:3]:
        try:
            lines = _tail_lines(path, TAIL_BYTES)
        except OSError:
            continue
        for line in reversed(lines):
            if marker not in line:
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and event.get("event_type") == event_type:
                found.append(event)
                if len(found) == count:
                    return found[::-1]
    return found[::-1]


def latest_stats(eve_dir: Path, count: int = 2) -> list[dict[str, Any]]:
    """The last `count` stats events' counters, oldest first."""
    events = latest_events(eve_dir, "stats", count)
    return [event["stats"] for event in events if isinstance(event.get("stats"), dict)]


def _get(stats: dict[str, Any], path: str) -> object:
    value: object = stats
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _changes(older: dict[str, Any], newer: dict[str, Any], *paths: str) -> list[int] | None:
    """How much each counter grew from `older` to `newer`; None when one is missing."""
    changes = []
    for path in paths:
        old, new = _get(older, path), _get(newer, path)
        if not isinstance(old, int) or not isinstance(new, int):
            return None
        changes.append(new - old)
    return changes


def interval_drop_ratio(older: dict[str, Any], newer: dict[str, Any]) -> float | None:
    """Kernel drops / packets seen between two stats events (None without traffic).

    The kernel's packet count already includes the dropped packets (af-packet's
    PACKET_STATISTICS adds tp_drops into tp_packets), so the ratio is a plain quotient.
    """
    changes = _changes(older, newer, "capture.kernel_packets", "capture.kernel_drops")
    if changes is None or changes[0] <= 0:
        return None
    packets, drops = changes
    return max(drops, 0) / packets


def interval_packet_rate(older: dict[str, Any], newer: dict[str, Any]) -> float | None:
    """Packets per second the kernel captured between two stats events (None when unknown)."""
    changes = _changes(older, newer, "capture.kernel_packets", "uptime")
    if changes is None or changes[1] <= 0 or changes[0] < 0:
        return None  # unknown, or Suricata restarted between the two events
    packets, seconds = changes
    return packets / seconds


COUNTERS = {
    "ids2_suricata_capture_packets": ("capture.kernel_packets", "Packets the kernel captured."),
    "ids2_suricata_capture_kernel_drops": ("capture.kernel_drops", "Packets the kernel dropped."),
    "ids2_suricata_decoder_packets": ("decoder.pkts", "Packets Suricata decoded."),
    "ids2_suricata_decoder_bytes": ("decoder.bytes", "Bytes Suricata decoded."),
    "ids2_suricata_alerts": ("detect.alert", "Alerts raised."),
}
GAUGES = {
    "ids2_suricata_flow_memuse_bytes": ("flow.memuse", "Flow engine memory in use."),
    "ids2_suricata_tcp_memuse_bytes": ("tcp.memuse", "TCP session memory in use."),
    "ids2_suricata_tcp_reassembly_memuse_bytes": (
        "tcp.reassembly_memuse",
        "TCP reassembly memory in use.",
    ),
    "ids2_suricata_uptime_seconds": ("uptime", "Seconds since Suricata started."),
}


class SuricataCollector:
    """Suricata counters, the EVE volume on the RAM disk, rules and RAM-disk losses."""

    def __init__(self, eve_dir: Path, store: StateStore) -> None:
        self.eve_dir = eve_dir
        self.store = store

    def collect(self) -> Iterable[Metric]:
        stats = latest_stats(self.eve_dir)
        if stats:
            newest = stats[-1]
            for name, (path, doc) in COUNTERS.items():
                yield from counter(name, doc, _get(newest, path))
            for name, (path, doc) in GAUGES.items():
                yield from gauge(name, doc, _get(newest, path))
            if len(stats) == 2:
                yield from gauge(
                    "ids2_suricata_capture_drop_ratio",
                    "Kernel drops / packets over the last stats interval.",
                    interval_drop_ratio(stats[0], newest),
                )
        yield from self._ramdisk()
        yield from self._rules()

    def _ramdisk(self) -> Iterable[Metric]:
        try:
            files = list(self.eve_dir.glob("eve-*.json"))
            eve_bytes = sum(path.stat().st_size for path in files)
            usage = os.statvfs(self.eve_dir)
        except OSError:
            return
        yield from gauge(
            "ids2_ramdisk_eve_bytes", "Bytes of EVE JSON waiting on the RAM disk.", eve_bytes
        )
        total = usage.f_blocks * usage.f_frsize
        used = total - usage.f_bavail * usage.f_frsize
        yield from gauge(
            "ids2_ramdisk_usage_ratio",
            "Fill level of the RAM disk (0-1).",
            used / total if total else None,
        )
        guard = self.store.read("ramdisk")
        if guard is not None:
            yield from counter(
                "ids2_ramdisk_lost_bytes",
                "EVE bytes dropped unshipped at the high-water mark.",
                guard.data.get("lost_bytes_total"),
            )
            yield from counter(
                "ids2_ramdisk_lost_events",
                "EVE events (lines) in the files dropped at the high-water mark, counted before"
                " each went: an upper bound, as Vector may have read part of a file.",
                guard.data.get("lost_events_total"),
            )

    def _rules(self) -> Iterable[Metric]:
        rules = self.store.read("rules")
        if rules is None:
            return
        yield from gauge(
            "ids2_rules_loaded",
            "Rules Suricata loaded at the last reload.",
            rules.data.get("rules_loaded"),
        )
        yield from gauge(
            "ids2_rules_last_reload_timestamp_seconds",
            "When the ruleset was last reloaded.",
            rules.data.get("reloaded_at"),
        )
