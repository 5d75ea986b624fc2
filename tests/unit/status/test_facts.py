"""The status screen's capture rate, last alert and shipping figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ids2.config.load import validate_document
from ids2.config.machine import Machine
from ids2.errors import Ids2Error
from ids2.status.facts import _capture, _last_alert, _pipeline_line, secrets_line
from ids2.status.figures import pipeline_figures
from ids2.suricata.collector import interval_packet_rate
from tests.support.ports import free_port


def stats(packets: int, uptime: int) -> dict[str, object]:
    return {"capture": {"kernel_packets": packets, "kernel_drops": 0}, "uptime": uptime}


def test_capture_rate_over_the_last_stats_interval() -> None:
    assert interval_packet_rate(stats(1_000, 30), stats(31_000, 60)) == 1_000.0
    assert interval_packet_rate(stats(90_000, 600), stats(10, 5)) is None  # restarted
    assert interval_packet_rate(stats(5, 30), {"uptime": 60}) is None


def alert(timestamp: str, sid: int, signature: str) -> str:
    event = {"timestamp": timestamp, "event_type": "alert", "alert": {}}
    event["alert"] = {"signature_id": sid, "signature": signature}
    return json.dumps(event)


def test_the_last_alert_is_the_newest_in_the_eve_tail(tmp_path: Path) -> None:
    config = {"ramdisk": {"mount_point": str(tmp_path)}}
    assert _last_alert(config) is None  # type: ignore[arg-type]
    lines = [
        alert("2026-11-25T08:00:00.000000+0000", 1, "first"),
        json.dumps({"event_type": "stats", "stats": stats(1, 1)}),
        alert("2026-11-25T08:00:05.000000+0000", 2210054, "SURICATA STREAM excessive"),
        json.dumps({"event_type": "flow", "alert_note": "not an alert"}),
    ]
    (tmp_path / "eve.json").write_text("\n".join(lines) + "\n")
    assert _last_alert(config) == (  # type: ignore[arg-type]
        "2026-11-25T08:00:05.000000+0000 SURICATA STREAM excessive (sid 2210054)"
    )


def test_no_prometheus_is_said_on_the_pipeline_line() -> None:
    figures = pipeline_figures(f"http://127.0.0.1:{free_port()}")
    assert "does not answer" in str(figures["error"])
    assert _pipeline_line(figures) == figures["error"]


def test_pipeline_line_with_and_without_data() -> None:
    full = {"events_shipped_per_second": 412.26, "buffer_fill_ratio": 0.034}
    assert _pipeline_line(full) == "412.3 events/s shipped, buffer 3% full"
    empty = {"events_shipped_per_second": None, "buffer_fill_ratio": None}
    assert _pipeline_line(empty) == "- events/s shipped, buffer - full"


def test_a_capture_that_has_seen_no_packets_is_a_warning(tmp_path: Path) -> None:
    config = {"ramdisk": {"mount_point": str(tmp_path)}, "sensor": {"interface": "eth0"}}
    eve = tmp_path / "eve.json"
    eve.write_text(json.dumps({"event_type": "stats", "stats": stats(0, 30)}) + "\n")
    assert _capture(config)["warning"] == "no packets seen yet on eth0"  # type: ignore[arg-type]
    eve.write_text(json.dumps({"event_type": "stats", "stats": stats(12, 30)}) + "\n")
    assert "warning" not in _capture(config)  # type: ignore[arg-type]


def test_secrets_shows_both_admin_passwords_to_root_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("grafana_admin_password: g-s3cret\n")
    secrets.chmod(0o600)
    config = validate_document(
        {"shipping": {"secrets_file": str(secrets)}},
        "test",
        Machine(4, 8192, frozenset({"eth0"})),
    )
    monkeypatch.setattr("ids2.status.facts.os.geteuid", lambda: 0)
    assert secrets_line(config) == (
        "grafana admin password: g-s3cret\nevebox admin password: (not generated yet)"
    )
    monkeypatch.setattr("ids2.status.facts.os.geteuid", lambda: 1000)
    with pytest.raises(Ids2Error, match="run it as root"):
        secrets_line(config)
