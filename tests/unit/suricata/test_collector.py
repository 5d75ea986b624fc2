"""The Suricata collector reads EVE tails and state files at scrape time."""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from ids2.state import StateStore
from ids2.suricata.collector import SuricataCollector, interval_drop_ratio, latest_stats


def stats(packets: int, drops: int) -> str:
    return json.dumps(
        {
            "event_type": "stats",
            "stats": {
                "capture": {"kernel_packets": packets, "kernel_drops": drops},
                "uptime": packets,
            },
        }
    )


def test_drop_ratio_of_the_last_interval(tmp_path: Path) -> None:
    (tmp_path / "eve.json").write_text(
        "\n".join(
            [
                stats(100, 0),
                '{"event_type":"alert","stats":"not this one"}',
                stats(1100, 10),
                '{"event_type":"dns"}',
                stats(2100, 40),
                "{truncated",
            ]
        )
        + "\n"
    )
    older, newer = latest_stats(tmp_path)
    assert (older["uptime"], newer["uptime"]) == (1100, 2100)
    assert interval_drop_ratio(older, newer) == 30 / 1000


def test_no_traffic_gives_no_ratio() -> None:
    same = json.loads(stats(5, 0))["stats"]
    assert interval_drop_ratio(same, same) is None


def test_missing_counters_give_no_ratio_and_a_drop_counter_reset_no_negative_one() -> None:
    older, newer = json.loads(stats(100, 50))["stats"], json.loads(stats(1100, 10))["stats"]
    assert interval_drop_ratio(older, {"uptime": 60}) is None
    assert interval_drop_ratio(older, newer) == 0.0


def test_only_the_tail_of_a_large_file_is_read(tmp_path: Path) -> None:
    eve = tmp_path / "eve.json"
    with eve.open("w") as handle:
        handle.write(stats(1, 1) + "\n")
        handle.write(('{"event_type":"flow","pad":"' + "x" * 1000 + '"}\n') * 2000)
    assert latest_stats(tmp_path) == []  # the only stats event lies beyond the tail


def test_ramdisk_and_rules_figures(tmp_path: Path) -> None:
    (tmp_path / "eve-1.json").write_text(stats(10, 0) + "\n")
    (tmp_path / "eve-2.json").write_text("{}\n")
    (tmp_path / "alerts.json.1000000001").write_text("{}\n")  # a copy Vector never reads
    store = StateStore(tmp_path / "run")
    store.write("ramdisk", {"lost_bytes_total": 4096, "lost_events_total": 7})
    store.write("rules", {"rules_loaded": 43000, "reloaded_at": 1700000000.0})
    registry = CollectorRegistry()
    registry.register(SuricataCollector(tmp_path, store))
    text = generate_latest(registry).decode()
    size = (tmp_path / "eve-1.json").stat().st_size + 3
    assert f"ids2_ramdisk_eve_bytes {float(size)}" in text
    assert "ids2_ramdisk_lost_bytes_total 4096.0" in text
    assert "ids2_ramdisk_lost_events_total 7.0" in text
    assert "ids2_rules_loaded 43000.0" in text
    assert "ids2_suricata_capture_drop_ratio" not in text  # one stats event: no interval yet
