"""What `ids2 alerts` was asked for: a time window and filters, the same for every source."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from ids2.alerts.alert import Alert, AlertsError, instant

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DEFAULT_LIMIT = 50


def parse_when(text: str, now: datetime) -> datetime:
    """A duration back from `now` (15m, 2h, 7d) or an ISO 8601 date or date-time (UTC
    unless it says otherwise); AlertsError for anything else."""
    duration = _DURATION.fullmatch(text.strip())
    if duration:
        return now - timedelta(**{_UNITS[duration[2]]: int(duration[1])})
    try:
        return instant(text.strip())
    except ValueError:
        raise AlertsError(
            f"cannot read {text!r} as a time: expected a duration such as 15m, 2h or 7d, "
            "or an ISO 8601 date or date-time"
        ) from None


@dataclass(frozen=True)
class Query:
    """The window [since, until] and the filters; None means no filter."""

    since: datetime
    until: datetime
    severity: int | None = None
    sid: str | None = None
    signature: str | None = None
    ip: str | None = None
    tag: str | None = None
    limit: int = DEFAULT_LIMIT

    def matches(self, alert: Alert) -> bool:
        """Whether `alert` is in the window and passes every filter."""
        return self.since <= alert.time <= self.until and self.matches_filters(alert)

    def matches_filters(self, alert: Alert) -> bool:
        """Whether `alert` passes every filter, whatever its time."""
        return (
            (self.severity is None or alert.severity == self.severity)
            and (self.sid is None or alert.sid == self.sid)
            and (self.signature is None or self.signature.lower() in alert.signature.lower())
            and (self.ip is None or self.ip in (alert.source_ip, alert.destination_ip))
            and (self.tag is None or self.tag in alert.tags)
        )
