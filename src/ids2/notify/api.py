"""Alertmanager's HTTP API: post alerts, and read its notification counters.

`ids2 notify test` posts one test alert and then watches Alertmanager's own counters of
notification attempts for the receiver's integration, since the API accepts an alert long
before (and whether or not) any receiver is reached.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ids2.errors import Ids2Error
from ids2.notify.render import TEST_ALERT, TEST_RECEIVER_LABEL

INTEGRATIONS = {
    "email": "email",
    "webhook": "webhook",
    "slack": "slack",
    "discord": "discord",
    "teams": "msteamsv2",
}
"""Alertmanager's integration label of each receiver type."""
_COUNTER = re.compile(
    r'^alertmanager_notification_requests(?P<failed>_failed)?_total\{integration="(?P<name>\w+)"\}'
    r" (?P<value>\S+)$",
    re.MULTILINE,
)


class AlertmanagerError(Ids2Error):
    """Alertmanager did not answer, or refused what was posted."""


def _request(address: str, path: str, body: Any = None, timeout: float = 5.0) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://{address}{path}",
        data=data,
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload: bytes = response.read()
            return payload
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace").strip()
        raise AlertmanagerError(f"Alertmanager at {address} refused {path}: {detail}") from None
    except OSError as error:
        reason = getattr(error, "reason", None) or error
        raise AlertmanagerError(f"Alertmanager at {address} does not answer: {reason}") from None


def post_alerts(address: str, alerts: list[dict[str, Any]]) -> None:
    """POST /api/v2/alerts; AlertmanagerError when it is down or refuses them."""
    _request(address, "/api/v2/alerts", alerts)


def probe_alert(sensor: str, receiver: str | None, now: datetime) -> dict[str, Any]:
    """The test alert: it ends by itself a minute later, so it resolves without a hand."""
    labels = {"alertname": TEST_ALERT, "sensor": sensor, "severity": "warning"}
    if receiver is not None:
        labels[TEST_RECEIVER_LABEL] = receiver
    return {
        "labels": labels,
        "annotations": {"summary": f"Test notification from the ids2 sensor {sensor}"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=1)).isoformat(),
    }


@dataclass(frozen=True)
class Attempts:
    """Alertmanager's counts of notification requests of one integration so far."""

    sent: float
    failed: float


def attempts(address: str, integration: str) -> Attempts:
    """The notification requests (and failed ones) of `integration` so far, from /metrics."""
    text = _request(address, "/metrics").decode(errors="replace")
    counts = {"": 0.0, "_failed": 0.0}
    for match in _COUNTER.finditer(text):
        if match["name"] == integration:
            counts[match["failed"] or ""] = float(match["value"])
    return Attempts(counts[""], counts["_failed"])


def send_test(
    address: str,
    sensor: str,
    receivers: dict[str, str],
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, str]:
    """Post a test alert for `receivers` (name: type) and wait for each one's integration
    to make a request: {name: 'sent' | 'failed' | 'no attempt within Ns'}.

    A failed request means that receiver could not be reached (Alertmanager's log says
    why); receivers of one type share a counter, so those are reported together.
    """
    integrations = {name: INTEGRATIONS[kind] for name, kind in receivers.items()}
    before = {kind: attempts(address, kind) for kind in set(integrations.values())}
    named = next(iter(receivers)) if len(receivers) == 1 else None
    post_alerts(address, [probe_alert(sensor, named, datetime.now(UTC))])
    results: dict[str, str] = {}
    deadline = clock() + timeout
    while len(results) < len(integrations):
        for kind, was in before.items():
            now = attempts(address, kind)
            outcome = "failed" if now.failed > was.failed else "sent" if now.sent > was.sent else ""
            if outcome:
                results |= {name: outcome for name, its in integrations.items() if its == kind}
        if clock() > deadline:
            break
        time.sleep(0.5)
    return {name: results.get(name, f"no attempt within {timeout:g} s") for name in integrations}
