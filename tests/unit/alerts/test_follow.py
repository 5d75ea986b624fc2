"""Following the RAM disk: only what is written after the start, complete lines only."""

from __future__ import annotations

import json
from pathlib import Path

from ids2.alerts.follow import Follower

EVE = {
    "timestamp": "2026-12-04T10:00:00.000000+0000",
    "event_type": "alert",
    "src_ip": "10.0.0.1",
    "src_port": 1234,
    "dest_ip": "10.0.0.2",
    "dest_port": 80,
    "proto": "TCP",
    "host": "sensor-a",
    "alert": {"signature_id": 1, "signature": "test", "severity": 3},
}


def test_new_complete_lines_of_old_and_new_files(tmp_path: Path) -> None:
    old = tmp_path / "alerts.json.1796378400"
    old.write_text(json.dumps(EVE) + "\n")
    follower = Follower(tmp_path)
    assert list(follower.new_alerts()) == []
    line = json.dumps({**EVE, "alert": {**EVE["alert"], "signature_id": 2}})  # type: ignore[dict-item]
    with old.open("a") as handle:
        handle.write(line + "\n" + line[:20])
    (tmp_path / "alerts.json.1796378460").write_text(json.dumps(EVE) + "\n")
    (tmp_path / "eve-20261204T100100.json").write_text(json.dumps(EVE) + "\n")
    assert [alert.sid for alert in follower.new_alerts()] == ["2", "1"]
    with old.open("a") as handle:
        handle.write(line[20:] + "\n")
    assert [alert.sensor for alert in follower.new_alerts()] == ["sensor-a"]
