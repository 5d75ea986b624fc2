"""Detection metrics: alerts counted by severity and signature, with bounded cardinality."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from ids2.alerts.collector import AlertCollector, AlertCounts, alert_labels
from ids2.shipping.canary import canary_line

SAMPLES = Path(__file__).resolve().parents[4] / "shared/corpora/eve-samples"


def eve_alert(sid: int, severity: int, signature: str = "", **extra: Any) -> bytes:
    """An alert line as Suricata writes it: compact, the alert object before the payload."""
    event = {
        "timestamp": "2026-12-04T10:00:00.000000+0000",
        "event_type": "alert",
        "src_ip": "10.0.0.1",
        "alert": {
            "action": "allowed",
            "gid": 1,
            "signature_id": sid,
            "signature": signature or f"rule {sid}",
            "severity": severity,
            "metadata": {"alert": ["nested"]},
        },
        **extra,
    }
    return json.dumps(event, separators=(",", ":")).encode()


def test_labels_of_an_alert_and_nothing_for_other_lines() -> None:
    assert alert_labels(eve_alert(2100498, 2, "GPL ATTACK_RESPONSE id check returned root")) == (
        "2100498",
        "GPL ATTACK_RESPONSE id check returned root",
        "2",
    )
    quoted = eve_alert(7, 1, 'say "alert":{ here', payload_printable='"alert":{"x":1}')
    assert alert_labels(quoted) == ("7", 'say "alert":{ here', "1")
    assert alert_labels(b'{"event_type":"flow","flow":{}}') is None
    assert alert_labels(canary_line("c-1", 0.0).rstrip()) is None
    assert alert_labels(eve_alert(1, 1)[:60]) is None  # cut short


def test_every_alert_of_the_generated_eve_sample_is_labelled_as_json_parsing_says() -> None:
    lines = (SAMPLES / "generated-suricata-7.0.10/all.ndjson").read_bytes().splitlines()
    expected = [
        (str(e["alert"]["signature_id"]), e["alert"]["signature"], str(e["alert"]["severity"]))
        for e in map(json.loads, lines)
        if e["event_type"] == "alert"
    ]
    assert len(expected) > 5
    assert [labels for labels in map(alert_labels, lines) if labels] == expected


def test_severities_start_at_zero_and_others_are_kept_apart() -> None:
    counts = AlertCounts(10)
    for severity in (1, 1, 3, 9):
        counts.add(alert_labels(eve_alert(1, severity)) or ("", "", ""))
    assert counts.by_severity == {"1": 2, "2": 0, "3": 1, "4": 0, "other": 1}


def test_signatures_beyond_the_limit_share_the_other_series() -> None:
    counts = AlertCounts(2)
    for sid in (1, 2, 3, 1, 4, 2, 3):
        counts.add((str(sid), f"rule {sid}", "2"))
    assert counts.by_signature == {("1", "rule 1", "2"): 2, ("2", "rule 2", "2"): 2}
    assert counts.other == 3
    counts.set_limit(1)
    assert counts.by_signature == {("1", "rule 1", "2"): 2}
    assert counts.other == 5
    counts.set_limit(0)
    counts.add(("1", "rule 1", "2"))
    assert (counts.by_signature, counts.other) == ({}, 8)


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def test_a_scrape_counts_only_new_alerts_and_never_the_same_twice(tmp_path: Path) -> None:
    alerts = tmp_path / "alerts.json.1796378400"
    alerts.write_bytes(eve_alert(1, 1) + b"\n")
    collector = AlertCollector(tmp_path, 1)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    assert value(registry, "ids2_alerts_total", severity="1") == 0
    with alerts.open("ab") as handle:
        handle.write(eve_alert(1, 1) + b"\n" + eve_alert(2, 3) + b"\n" + canary_line("c", 0.0))
    (tmp_path / "eve-20261204T100000.json").write_bytes(eve_alert(1, 1) + b"\n")
    assert value(registry, "ids2_alerts_total", severity="1") == 1
    assert value(registry, "ids2_alerts_total", severity="3") == 1
    assert value(registry, "ids2_alerts_total", severity="1") == 1
    signature = {"sid": "1", "signature": "rule 1", "severity": "1"}
    assert value(registry, "ids2_alert_signature_total", **signature) == 1
    other = {"sid": "other", "signature": "other", "severity": ""}
    assert value(registry, "ids2_alert_signature_total", **other) == 1
    (tmp_path / "alerts.json.1796378460").write_bytes(eve_alert(1, 1) + b"\n")
    assert collector.update() == 1
    assert value(registry, "ids2_alert_signature_total", **signature) == 2
