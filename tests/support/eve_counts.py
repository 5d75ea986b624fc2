"""What one Suricata run wrote to EVE, counted: alerts per signature, and the packets its
decoder saw by its own stats."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class EveCounts:
    """Alerts per signature id; packets decoded (None: no stats event was written)."""

    alerts: Counter[int]
    decoded: int | None


def eve_counts(lines: Iterable[str]) -> EveCounts:
    """The counts of EVE `lines` (JSON, one event each; blank lines skipped).

    Decoded packets are the highest `stats.decoder.pkts`: the counter only grows, and a
    run's events may be split over files read in any order. Lines of other event types
    are not parsed (a benchmark run writes millions). Raises ValueError for an alert or
    stats line that is not JSON.
    """
    alerts: Counter[int] = Counter()
    decoded: int | None = None
    for line in lines:
        if '"event_type":"alert"' not in line and '"event_type":"stats"' not in line:
            continue
        event = json.loads(line)
        if event.get("event_type") == "alert":
            alerts[event["alert"]["signature_id"]] += 1
        elif event.get("event_type") == "stats":
            packets = int(event["stats"]["decoder"]["pkts"])
            decoded = packets if decoded is None else max(decoded, packets)
    return EveCounts(alerts, decoded)
