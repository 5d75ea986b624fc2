"""Counts over a set of alerts: per severity, top signatures, top source and destination."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ids2.alerts.alert import Alert

TOP = 10


def top(counts: Counter[Any], size: int = TOP) -> list[tuple[Any, int]]:
    """The `size` largest counts, ties in key order, so every source agrees on the order."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:size]


@dataclass
class Summary:
    """Running counts; `as_dict()` is what --summary prints."""

    total: int = 0
    severities: Counter[int | None] = field(default_factory=Counter)
    signatures: Counter[tuple[str, str]] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    destinations: Counter[str] = field(default_factory=Counter)

    def add(self, alert: Alert) -> None:
        self.total += 1
        self.severities[alert.severity] += 1
        self.signatures[(alert.sid, alert.signature)] += 1
        self.sources[alert.source_ip] += 1
        self.destinations[alert.destination_ip] += 1

    def as_dict(self) -> dict[str, Any]:
        """Plain data: severities as strings (JSON keys), top lists as objects."""
        return {
            "total": self.total,
            "severity": {
                str(severity): count
                for severity, count in sorted(self.severities.items(), key=lambda i: str(i[0]))
            },
            "signatures": [
                {"sid": sid, "name": name, "count": count}
                for (sid, name), count in top(self.signatures)
            ],
            "sources": [{"ip": ip, "count": count} for ip, count in top(self.sources)],
            "destinations": [{"ip": ip, "count": count} for ip, count in top(self.destinations)],
        }


def summarize(alerts: Iterable[Alert]) -> Summary:
    summary = Summary()
    for alert in alerts:
        summary.add(alert)
    return summary
