"""One alert by what names it: its flow id, its flow's community id, or its stored _id.

The RAM disk's alerts-*.json files are read first: they hold the newest alerts as Suricata
wrote them, flow id included. Stored documents carry the community id and their _id (the
SHA-256 of the EVE line, ecs.vrl's ids2.doc_id), but the flow id only where suricata.eve
is kept (shipping.spool.keep_raw, or in OpenSearch, where it is stored but not indexed).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ids2.alerts.alert import Alert, AlertsError
from ids2.suricata import ALERTS_STEM

_COMMUNITY_ID = re.compile(r"1:[A-Za-z0-9+/]{27}=")
_DOCUMENT_ID = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Wanted:
    """The identifier given: its kind (flow_id, community_id or _id) and value."""

    kind: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Wanted:
        """The kind from the form: digits, '1:' and 28 base64 characters, or 64 hex
        digits; AlertsError for anything else."""
        text = text.strip()
        if text.isdigit():
            return cls("flow_id", text)
        if _COMMUNITY_ID.fullmatch(text):
            return cls("community_id", text)
        if _DOCUMENT_ID.fullmatch(text):
            return cls("_id", text)
        raise AlertsError(
            f"cannot tell what {text!r} is: expected a flow id (digits), a community id "
            "(1:...=) or a stored document's _id (64 hex digits)"
        )

    def matches(self, alert: Alert, document_id: str | None = None) -> bool:
        """Whether `alert` (an EVE event or a stored document, whose _id is `document_id`
        when known) is the one wanted."""
        document = alert.document
        eve: dict[str, Any] = (document.get("suricata") or {}).get("eve") or document
        if self.kind == "flow_id":
            return str(eve.get("flow_id", "")) == self.value
        if self.kind == "community_id":
            network = document.get("network") or {}
            return self.value in (eve.get("community_id"), network.get("community_id"))
        stored = (document.get("ids2") or {}).get("doc_id")
        return self.value in (document_id, stored)


def newest(found: Iterable[Alert]) -> Alert | None:
    """The newest of `found`: a community id names every flow of one 5-tuple over time."""
    return max(found, key=lambda alert: alert.time, default=None)


def on_ramdisk(directory: Path, wanted: Wanted) -> Alert | None:
    """The newest alert of the RAM disk's alerts files that is the one wanted."""
    found = []
    marker = wanted.value.encode()
    for path in sorted(directory.glob(f"{ALERTS_STEM}-*.json")):
        try:
            lines = path.read_bytes().splitlines()
        except OSError:
            continue  # deleted by the RAM-disk guard in between, or not ours to read
        for line in lines:
            document_id = hashlib.sha256(line).hexdigest() if wanted.kind == "_id" else None
            if document_id is None and marker not in line:
                continue
            try:
                alert = Alert.from_eve(json.loads(line))
            except ValueError:
                continue  # the line Suricata is still writing
            if alert is not None and wanted.matches(alert, document_id):
                found.append(alert)
    return newest(found)
