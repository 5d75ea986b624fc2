"""New alerts as Suricata writes them: the lines appended to alerts-*.json on the RAM disk.

The shipped copy reaches OpenSearch or the spool only after Vector's batch timeout; the
RAM disk has each alert the moment Suricata writes it, so `--follow` reads it there.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ids2.alerts.alert import Alert
from ids2.alerts.query import Query
from ids2.suricata.render import ALERTS_STEM

POLL_SECONDS = 0.2


class Follower:
    """Remembers how far each alerts file was read; what was there at the start is old."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.offsets = {path: path.stat().st_size for path in self._files()}

    def _files(self) -> list[Path]:
        return sorted(self.directory.glob(f"{ALERTS_STEM}-*.json"))

    def new_alerts(self) -> Iterator[Alert]:
        """The alerts in the complete lines written since the last call, file by file."""
        for path in self._files():
            try:
                with path.open("rb") as handle:
                    offset = self.offsets.get(path, 0)
                    if offset > os.fstat(handle.fileno()).st_size:
                        offset = 0
                    handle.seek(offset)
                    data = handle.read()
            except FileNotFoundError:
                continue  # rotated away and deleted in between
            complete = data[: data.rfind(b"\n") + 1]
            self.offsets[path] = offset + len(complete)
            for line in complete.splitlines():
                try:
                    alert = Alert.from_eve(json.loads(line))
                except ValueError:
                    continue
                if alert is not None:
                    yield alert
        self.offsets = {path: size for path, size in self.offsets.items() if path.exists()}


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
