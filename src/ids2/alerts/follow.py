"""New alerts as Suricata writes them: the lines appended to alerts.json.* on the RAM disk.

The shipped copy reaches OpenSearch or the spool only after Vector's batch timeout; the
RAM disk has each alert the moment Suricata writes it, so `--follow` reads it there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ids2.alerts.alert import Alert
from ids2.alerts.query import Query
from ids2.alerts.tail import Tail

POLL_SECONDS = 0.2


class Follower:
    """The alerts in the lines appended to the alerts files since the start."""

    def __init__(self, directory: Path) -> None:
        self.tail = Tail(directory)

    def new_alerts(self) -> Iterator[Alert]:
        """The alerts in the complete lines written since the last call, file by file."""
        for line in self.tail.new_lines():
            try:
                alert = Alert.from_eve(json.loads(line))
            except ValueError:
                continue
            if alert is not None:
                yield alert


def follow(
    follower: Follower,
    query: Query,
    emit: Callable[[Alert], None],
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Emit each new alert the query's filters let through, until `keep_going` says no.

    The time window does not apply: a new alert is now, whatever --since said."""
    while keep_going():
        for alert in follower.new_alerts():
            if query.matches_filters(alert):
                emit(alert)
        time.sleep(POLL_SECONDS)
