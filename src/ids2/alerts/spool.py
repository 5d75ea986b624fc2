"""Alerts from the local spool's day files, read without parsing what cannot be an alert.

A day file holds every event type, gigabytes of it, and alerts are a small share. Every
alert document says "kind":"alert" (event.kind; Vector writes JSON without spaces, other
writers may put one after the colon); no other event does, and the escaped copy in
event.original cannot match. So chunks of the file are searched for those bytes, and
only the lines they occur in are parsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from ids2.alerts.alert import Alert, AlertsError
from ids2.alerts.query import Query
from ids2.shipping.spool import line_blocks

MARKERS = (b'"kind":"alert"', b'"kind": "alert"')
CHUNK_BYTES = 8 << 20


def day_files(directory: Path, prefix: str, query: Query) -> list[Path]:
    """The day files (PREFIX-YYYY.MM.DD.ndjson) that can hold the window's alerts, oldest
    first; AlertsError when the directory cannot be read."""
    try:
        present = {path.name for path in directory.iterdir()}
    except OSError as error:
        raise AlertsError(f"cannot read the spool {directory}: {error.strerror}") from None
    files = []
    day: date = query.since.date()
    while day <= query.until.date():
        name = f"{prefix}-{day:%Y.%m.%d}.ndjson"
        if name in present:
            files.append(directory / name)
        day += timedelta(days=1)
    return files


def candidate_lines(path: Path) -> Iterator[bytes]:
    """The lines of `path` that contain one of the MARKERS, in file order per marker."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise AlertsError(f"cannot read {path}: {error.strerror}") from None
    with handle:
        for block in line_blocks(handle, CHUNK_BYTES):
            yield from _marked(block)


def _marked(block: bytes) -> Iterator[bytes]:
    for marker in MARKERS:
        position = block.find(marker)
        while position >= 0:
            start = block.rfind(b"\n", 0, position) + 1
            end = block.find(b"\n", position)
            end = len(block) if end < 0 else end
            yield block[start:end]
            position = block.find(marker, end)


def read_spool(directory: Path, prefix: str, query: Query) -> Iterator[Alert]:
    """Every alert of the spool that the query matches, in file order."""
    for path in day_files(directory, prefix, query):
        for line in candidate_lines(path):
            try:
                alert = Alert.from_ecs(json.loads(line))
            except ValueError:
                continue  # a line cut short (the writer is still at it) or not a document
            if alert is not None and query.matches(alert):
                yield alert
