"""One alert as every reader hands it over, from a stored ECS document or a raw EVE event."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ids2.errors import Ids2Error

CANARY_TAG = "ids2-canary"  # what ecs.vrl tags the verify controller's canaries with


class AlertsError(Ids2Error):
    """Bad input to `ids2 alerts` or a source that cannot be read: one line, exit 2."""

    exit_status = 2


@dataclass(frozen=True)
class Alert:
    """The fields a person triages by, and the document they came from, unchanged."""

    time: datetime
    severity: int | None
    sid: str
    signature: str
    source_ip: str
    source_port: int | None
    destination_ip: str
    destination_port: int | None
    protocol: str
    sensor: str
    tags: tuple[str, ...]
    document: dict[str, Any]

    @classmethod
    def from_ecs(cls, document: dict[str, Any]) -> Alert | None:
        """The alert in a stored ECS document; None for any other event and for canaries."""
        event = document.get("event") or {}
        tags = tuple(document.get("tags") or ())
        if event.get("kind") != "alert" or CANARY_TAG in tags:
            return None
        rule = document.get("rule") or {}
        source = document.get("source") or {}
        destination = document.get("destination") or {}
        network = document.get("network") or {}
        protocol = "/".join(
            str(part) for part in (network.get("transport"), network.get("protocol")) if part
        )
        return cls(
            time=instant(str(document.get("@timestamp", ""))),
            severity=event.get("severity"),
            sid=str(rule.get("id", "")),
            signature=str(rule.get("name", "")),
            source_ip=address(source.get("ip")),
            source_port=source.get("port"),
            destination_ip=address(destination.get("ip")),
            destination_port=destination.get("port"),
            protocol=protocol,
            sensor=str((document.get("observer") or {}).get("name", "")),
            tags=tags,
            document=document,
        )

    @classmethod
    def from_eve(cls, event: dict[str, Any]) -> Alert | None:
        """The alert in an EVE event as Suricata wrote it; None for any other event type."""
        alert = event.get("alert")
        if event.get("event_type") != "alert" or not isinstance(alert, dict):
            return None
        protocol = "/".join(
            str(part).lower() for part in (event.get("proto"), event.get("app_proto")) if part
        )
        return cls(
            time=instant(str(event.get("timestamp", ""))),
            severity=alert.get("severity"),
            sid=str(alert.get("signature_id", "")),
            signature=str(alert.get("signature", "")),
            source_ip=address(event.get("src_ip")),
            source_port=event.get("src_port"),
            destination_ip=address(event.get("dest_ip")),
            destination_port=event.get("dest_port"),
            protocol=protocol,
            sensor=str(event.get("host", "")),
            tags=tuple(event.get("tags") or ()),
            document=event,
        )


def instant(text: str) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; raises ValueError when it is none."""
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def address(value: object) -> str:
    """An address in its short form ('::1', not Suricata's '0000:...:0001'), the form
    OpenSearch answers with, so every source counts and filters it alike; '' when absent."""
    if value is None:
        return ""
    try:
        return ipaddress.ip_address(str(value)).compressed
    except ValueError:
        return str(value)
