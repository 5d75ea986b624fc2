"""The local spool: the daily ECS NDJSON files Vector writes when no OpenSearch is configured.

Vector's file sink cannot cap what it writes, so `prune` (ids2-spool-prune.timer) removes
the oldest day files, dead letters included, while the directory is over
shipping.spool.max_mb. It never touches today's files nor any file written in the last
few minutes: Vector appends late events to the file of their own day and keeps it open a
while, and a file removed under it would swallow what it writes next.

`backfill` indexes the day files into OpenSearch once an endpoint is configured, each
document under its own id, so running it again never duplicates. It remembers how far it
got in each file (.backfill-progress.json), so a second run only sends what is new, and
it waits while the resource controller asks for a slower pace.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from ids2.shipping.bulk import BulkIndexer, BulkResult

log = logging.getLogger(__name__)
DAY_FILE = re.compile(r"^(?P<name>.+)-(?P<day>\d{4}\.\d{2}\.\d{2})\.ndjson$")
BUSY_SECONDS = 300  # Vector's file sink closes a file after 30 s idle; ten times that
PROGRESS_FILE = ".backfill-progress.json"
PAUSE_POLL_SECONDS = 30.0
READ_CHUNK_BYTES = 1 << 20


def day_files(directory: Path, name: str | None = None) -> list[Path]:
    """Day files (NAME-YYYY.MM.DD.ndjson; any NAME when None), oldest day first."""
    found = []
    for path in directory.iterdir() if directory.is_dir() else []:
        match = DAY_FILE.match(path.name)
        if match and path.is_file() and name in (None, match["name"]):
            found.append((match["day"], path.name, path))
    return [path for _day, _name, path in sorted(found)]


def prune(directory: Path, max_bytes: int, now: float | None = None) -> list[Path]:
    """Remove the oldest day files until the directory holds at most `max_bytes` of them.

    Returns the files removed. Today's (UTC) and recently written files stay even when the
    cap is still exceeded; the caller can tell from what remains.
    """
    now = time.time() if now is None else now
    today = time.strftime("%Y.%m.%d", time.gmtime(now))
    files = day_files(directory)
    total = sum(path.stat().st_size for path in files)
    removed = []
    for path in files:
        if total <= max_bytes:
            break
        status = path.stat()
        if path.name.endswith(f"-{today}.ndjson") or now - status.st_mtime < BUSY_SECONDS:
            continue
        path.unlink()
        total -= status.st_size
        removed.append(path)
        log.warning("spool over %d bytes: removed %s (%d bytes)", max_bytes, path, status.st_size)
    return removed


@dataclass
class BackfillReport:
    """What backfill did, in total and per file."""

    result: BulkResult = field(default_factory=BulkResult)
    files: dict[str, int] = field(default_factory=dict)
    removed: list[Path] = field(default_factory=list)


class _Progress:
    """How many bytes of each day file are indexed, kept across runs."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / PROGRESS_FILE
        try:
            self.offsets: dict[str, int] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.offsets = {}

    def save(self) -> None:
        temporary = self.path.with_name(self.path.name + ".new")
        temporary.write_text(json.dumps(self.offsets, sort_keys=True), encoding="utf-8")
        os.replace(temporary, self.path)


def line_blocks(handle: BinaryIO, chunk_bytes: int = READ_CHUNK_BYTES) -> Iterator[bytes]:
    """What `handle` holds as blocks of whole lines, the last block being the line still
    without its newline (a writer is at it), so a search never sees half a line."""
    rest = b""
    while chunk := handle.read(chunk_bytes):
        block = rest + chunk
        end = block.rfind(b"\n") + 1
        yield block[:end]
        rest = block[end:]
    yield rest


def _batches(path: Path, start: int, size: int) -> Iterator[tuple[list[bytes], int]]:
    """Batches of the complete lines after `start`, each with the offset just past it.

    The last batch may be empty: it still says how far the complete lines go.
    """
    lines: list[bytes] = []
    offset = start
    with path.open("rb") as handle:
        handle.seek(start)
        rest = b""
        while chunk := handle.read(READ_CHUNK_BYTES):
            parts = (rest + chunk).split(b"\n")
            rest = parts.pop()  # a line Vector is still writing waits for the next run
            for line in parts:
                offset += len(line) + 1
                if line.strip():
                    lines.append(line)
                if len(lines) >= size:
                    yield lines, offset
                    lines = []
    yield lines, offset


def backfill(
    indexer: BulkIndexer,
    directory: Path,
    batch_size: int,
    remove: bool = False,
    paused: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
) -> BackfillReport:
    """Index every day file of the spool into its documents' daily indices.

    With `remove`, a file is deleted once all of it is indexed with nothing refused and
    Vector has not written it for a while. Raises BulkIndexError when OpenSearch keeps
    refusing; what was indexed before stays recorded.
    """
    report = BackfillReport()
    progress = _Progress(directory)
    files = day_files(directory, indexer.prefix)
    progress.offsets = {
        name: offset
        for name, offset in progress.offsets.items()
        if name in {path.name for path in files}  # forget pruned files
    }
    for path in files:
        status = path.stat()
        start = progress.offsets.get(path.name, 0)
        if start > status.st_size:  # a new file under an old name
            start = 0
        rejected_before, end = report.result.rejected, start
        for lines, end in _batches(path, start, batch_size):
            while paused():
                log.info("backfill paused: the resource controller asks for a slower pace")
                sleep(PAUSE_POLL_SECONDS)
            result = indexer.index_lines(lines)
            report.result.add(result)
            report.files[path.name] = report.files.get(path.name, 0) + result.indexed
            progress.offsets[path.name] = end
            progress.save()
        unchanged = path.stat().st_size == end and time.time() - status.st_mtime > BUSY_SECONDS
        if remove and unchanged and report.result.rejected == rejected_before:
            path.unlink()
            progress.offsets.pop(path.name, None)
            progress.save()
            report.removed.append(path)
    return report
