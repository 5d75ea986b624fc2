"""Small stored documents for the alerts tests: the fields ecs.vrl writes for an alert."""

from __future__ import annotations

from typing import Any


def ecs_alert(
    stamp: str = "2026-12-04T10:00:00.000000Z",
    sid: str = "2013028",
    name: str = "ET POLICY curl User-Agent Outbound",
    severity: int = 2,
    source: str = "192.168.1.146",
    destination: str = "89.160.20.112",
    tags: list[str] | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@timestamp": stamp,
        "event": {"kind": "alert", "severity": severity},
        "rule": {"id": sid, "name": name},
        "source": {"ip": source, "port": 32858},
        "destination": {"ip": destination, "port": 80},
        "network": {"transport": "tcp", "protocol": "http"},
        "observer": {"name": "sensor-a"},
    }
    if tags is not None:
        document["tags"] = tags
    return document
