"""`ids2 alerts` on a spool of real Suricata output mapped by the real VRL transform."""

from __future__ import annotations

import json
from collections import Counter
from ipaddress import ip_address
from pathlib import Path

import pytest

from ids2.cli import main
from tests.integration.alerts.conftest import Replayed

pytestmark = pytest.mark.integration
EVER = ["--since", "2000-01-01"]


@pytest.fixture
def spool(replayed: Replayed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"shipping:\n  spool:\n    directory: {tmp_path / 'spool'}\n")
    monkeypatch.setenv("IDS2_CONFIG", str(config))
    replayed.write_spool(tmp_path / "spool")
    return tmp_path / "spool"


def test_summary_counts_every_alert_suricata_raised(
    replayed: Replayed, spool: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alerts", "--summary", "--json", *EVER]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total"] == len(replayed.alerts)
    severities = Counter(str(alert["alert"]["severity"]) for alert in replayed.alerts)
    assert summary["severity"] == dict(severities)
    signatures = Counter(
        (str(alert["alert"]["signature_id"]), alert["alert"]["signature"])
        for alert in replayed.alerts
    )
    expected = sorted(signatures.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert summary["signatures"] == [
        {"sid": sid, "name": name, "count": count} for (sid, name), count in expected
    ]
    for key, field in (("sources", "src_ip"), ("destinations", "dest_ip")):
        # Suricata writes IPv6 in full; every source answers with the short form.
        counts = Counter(ip_address(alert[field]).compressed for alert in replayed.alerts)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
        assert summary[key] == [{"ip": ip, "count": count} for ip, count in ranked]


def test_listing_is_every_alert_newest_first_as_stored(
    replayed: Replayed, spool: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["alerts", "--json", "--limit", "1000", *EVER]) == 0
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(documents) == len(replayed.alerts)
    stamps = [document["@timestamp"] for document in documents]
    assert stamps == sorted(stamps, reverse=True)
    stored = [d for d in replayed.documents if d["event"]["kind"] == "alert"]
    assert sorted(map(json.dumps, documents)) == sorted(map(json.dumps, stored))
    assert all(document["observer"]["name"] == "sensor-a" for document in documents)


def test_filters_on_real_alerts(
    replayed: Replayed, spool: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid, count = replayed.sids().most_common(1)[0]
    assert main(["alerts", "--sid", sid, "--limit", "1000", *EVER]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == count and all(f"sid {sid} " in line for line in lines)
    address = replayed.alerts[0]["src_ip"]
    involved = sum(address in (a["src_ip"], a["dest_ip"]) for a in replayed.alerts)
    assert main(["alerts", "--ip", address, "--limit", "1000", *EVER]) == 0
    assert len(capsys.readouterr().out.splitlines()) == involved
