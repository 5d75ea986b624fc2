"""Counts and top lists, ties broken by key so every source orders them alike."""

from __future__ import annotations

from ids2.alerts.alert import Alert
from ids2.alerts.summary import summarize
from tests.unit.alerts.documents import ecs_alert


def test_counts_and_top_lists() -> None:
    documents = [
        ecs_alert(sid="2", name="b", severity=1, source="10.0.0.2"),
        ecs_alert(sid="1", name="a", severity=2, source="10.0.0.1"),
        ecs_alert(sid="3", name="c", severity=2, source="10.0.0.3"),
        ecs_alert(sid="3", name="c", severity=3, source="10.0.0.3"),
    ]
    alerts = [alert for alert in map(Alert.from_ecs, documents) if alert is not None]
    summary = summarize(alerts).as_dict()
    assert summary["total"] == 4
    assert summary["severity"] == {"1": 1, "2": 2, "3": 1}
    assert summary["signatures"] == [
        {"sid": "3", "name": "c", "count": 2},
        {"sid": "1", "name": "a", "count": 1},
        {"sid": "2", "name": "b", "count": 1},
    ]
    assert summary["sources"][0] == {"ip": "10.0.0.3", "count": 2}
    assert summary["destinations"] == [{"ip": "89.160.20.112", "count": 4}]
