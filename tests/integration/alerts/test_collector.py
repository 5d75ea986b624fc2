"""Detection metrics from real Suricata output: the corpus pcaps replayed with the rendered
config, the counts read from the alerts files against the alerts of the EVE files."""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path

from prometheus_client import CollectorRegistry

from ids2.alerts.collector import AlertCollector
from tests.integration.suricata.test_pcap_replay import CORPUS, MANIFEST, rendered_config, replay

CASES = [case for case in MANIFEST if case["rules"]]


def samples(collector: AlertCollector, name: str) -> dict[tuple[str, ...], float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return {
        tuple(sample.labels.values()): sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == name
    }


def test_the_counts_are_the_alerts_of_eve(tmp_path: Path) -> None:
    expected: Counter[tuple[str, ...]] = Counter()
    counted: Counter[tuple[str, ...]] = Counter()
    by_severity: Counter[tuple[str, ...]] = Counter()
    others = 0.0
    for case in CASES:
        work = tmp_path / case["name"]
        work.mkdir()
        config = rendered_config(work)
        every, first_only = AlertCollector(work / "ram", 1000), AlertCollector(work / "ram", 1)
        directory = CORPUS / case["name"]
        events = replay(
            config,
            directory / case["pcap"],
            [directory / rule for rule in case["rules"]],
            [part for arg in case["args"] or [] for part in shlex.split(arg)],
            work / "log",
        )
        alerts = [event["alert"] for event in events if event["event_type"] == "alert"]
        expected.update(
            (str(a["signature_id"]), a["signature"], str(a["severity"])) for a in alerts
        )
        counted.update(
            {
                labels: int(count)
                for labels, count in samples(every, "ids2_alert_signature_total").items()
                if labels[0] != "other"
            }
        )
        by_severity.update(
            {labels: int(count) for labels, count in samples(every, "ids2_alerts_total").items()}
        )
        few = samples(first_only, "ids2_alert_signature_total")
        assert len(few) == (2 if alerts else 1)
        others += few[("other", "other", "")]
        assert AlertCollector(work / "ram", 1000).update() == 0  # a restart counts nothing old
    print(f"{sum(expected.values())} alerts of {len(expected)} signatures, {others:.0f} other")
    assert sum(expected.values()) > 10 and len(expected) > 3
    assert counted == expected
    severities = Counter({(severity,): 0 for severity in ("1", "2", "3", "4")})
    severities.update((labels[2],) for labels in expected.elements())
    assert by_severity == severities
    assert others > 0
