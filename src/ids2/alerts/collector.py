"""Detection metrics: the alerts Suricata writes to alerts.json.*, counted as they arrive.

Unlike the other collectors this one keeps state: a counter of alerts is the sum of every
line read so far, and Suricata's own totals (the stats event) have no severity or
signature. Each scrape, and each step of the metrics controller, reads only the lines
appended since the last look. The files already there when the exporter starts are not
counted, so a restart is one counter reset and never counts an alert twice.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, Metric

from ids2.alerts.tail import Tail

SEVERITIES = ("1", "2", "3", "4")
OTHER = "other"
EVENT_MARKER = b'"event_type":"alert"'
ALERT_KEY = b'"alert":{'
_DECODER = json.JSONDecoder()

Signature = tuple[str, str, str]  # sid, signature, severity: the labels of one series


def alert_labels(line: bytes) -> Signature | None:
    """(sid, signature, severity) of the alert an EVE line holds; None for any other line.

    Parses only the `alert` object, which Suricata writes before the payload, packet and
    app-layer fields that make up most of an alert line. The first unescaped `"alert":{`
    is that object: inside a JSON string every quote is escaped. Canaries are events of
    their own type (`ids2_canary`), so they never count.
    """
    if EVENT_MARKER not in line:
        return None
    start = line.find(ALERT_KEY)
    if start < 0:
        return None
    try:
        alert, _ = _DECODER.raw_decode(line[start + len(ALERT_KEY) - 1 :].decode())
    except ValueError:
        return None
    severity = alert.get("severity")
    return (
        str(alert.get("signature_id", "")),
        str(alert.get("signature", "")),
        str(severity) if isinstance(severity, int) else "",
    )


class AlertCounts:
    """Alerts by severity, and by signature for at most `limit` signatures.

    Bounded cardinality: the first `limit` distinct (sid, signature, severity) seen get a
    series each and keep it; every later one is added to the one `other` series (sid,
    signature "other", severity ""). First come rather than most frequent, because a
    counter can never move from one series to another without breaking `rate()`, and
    the first seen are the ones the rules fire on all the time. A lower limit after a
    reload folds the signatures beyond it into `other`, which only ever grows.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.by_severity: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        self.by_signature: dict[Signature, int] = {}
        self.other = 0

    def add(self, labels: Signature) -> None:
        """Count one alert."""
        severity = labels[2] if labels[2] in SEVERITIES else OTHER
        self.by_severity[severity] = self.by_severity.get(severity, 0) + 1
        if labels in self.by_signature:
            self.by_signature[labels] += 1
        elif len(self.by_signature) < self.limit:
            self.by_signature[labels] = 1
        else:
            self.other += 1

    def set_limit(self, limit: int) -> None:
        """Count at most `limit` signatures one by one from now on."""
        self.limit = limit
        while len(self.by_signature) > limit:
            newest = next(reversed(self.by_signature))
            self.other += self.by_signature.pop(newest)

    def families(self) -> Iterable[Metric]:
        """ids2_alerts_total{severity} and ids2_alert_signature_total{sid,signature,severity}."""
        severities = CounterMetricFamily(
            "ids2_alerts",
            "Alerts Suricata raised since the exporter started, by severity (1 is highest).",
            labels=["severity"],
        )
        for severity, count in self.by_severity.items():
            severities.add_metric([severity], count)
        yield severities
        signatures = CounterMetricFamily(
            "ids2_alert_signature",
            "Alerts since the exporter started by signature, for the first "
            "metrics.top_signatures seen; the rest under sid 'other'.",
            labels=["sid", "signature", "severity"],
        )
        for labels, count in self.by_signature.items():
            signatures.add_metric(list(labels), count)
        signatures.add_metric([OTHER, OTHER, ""], self.other)
        yield signatures


class AlertCollector:
    """Counts the alerts appended to the RAM disk's alerts files since the last look.

    Scrapes run on the exporter's threads and the controller's step on its own, so the
    reading and the counts are under one lock.
    """

    def __init__(self, directory: Path, limit: int) -> None:
        self.tail = Tail(directory)
        self.counts = AlertCounts(limit)
        self.lock = threading.Lock()

    def update(self) -> int:
        """Count the alerts in the lines written since the last call; returns how many."""
        added = 0
        with self.lock:
            for line in self.tail.new_lines():
                labels = alert_labels(line)
                if labels is not None:
                    self.counts.add(labels)
                    added += 1
        return added

    def set_limit(self, limit: int) -> None:
        """Apply a reloaded metrics.top_signatures."""
        with self.lock:
            self.counts.set_limit(limit)

    def collect(self) -> Iterable[Metric]:
        self.update()
        with self.lock:
            return list(self.counts.families())
