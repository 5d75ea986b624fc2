"""The events of `ids2 import-pcap`, tagged and handed to Vector like the live ones.

Why through Vector rather than straight to OpenSearch or the spool: the mapping to ECS is
ecs.vrl, and on the sensor only Vector runs VRL (the upstream compiler the tests use is
not a runtime dependency, and a second mapping in Python would drift from the first).
Vector then ships imported events exactly as it ships live ones: to the daily index of
each event's own @timestamp or to the spool's day file of that day, through the same
disk buffer, Redis, retries, auth and lean spool documents. So does Security Onion's
so-import-pcap, whose logs the usual shipper picks up. Vector reads these files from
`import/` on the RAM disk (its `imports` source), beside its other sources.

Each event gets `tags` (`pcap:<file name>` and the name given) and `ids2.doc_id`, which
ecs.vrl takes as the document id. It is a SHA-256 of the event without what Suricata
decides afresh on each run (flow_id and parent_id; a flow record's time and reason) and
with its tags: importing the same file under the same tags gives the same ids. In
OpenSearch, the ids make a second import replace the first, adding nothing. The spool's
file sink only appends, so there the events whose ids the spool (or a waiting import
file) already holds are not handed over at all. Under other tags, the events are another
import and stored again.

Files are written whole (renamed into place), at most PART_BYTES each, and only while
they leave the RAM disk below its high-water mark with HEADROOM_PERCENT to spare, so an
import never makes the guard drop live events; the next part waits for Vector to take
the earlier ones. Every line carries the run's import id, so no file's first line (what
Vector fingerprints a file by) repeats an earlier import's.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ids2.errors import Ids2Error
from ids2.shipping.bulk import index_name
from ids2.shipping.spool import line_blocks

IMPORT_DIRECTORY = "import"
PART_BYTES = 16 << 20
HEADROOM_PERCENT = 10
RANDOM_PER_RUN = ("flow_id", "parent_id")  # Suricata seeds its flow ids anew each run
DOC_ID = re.compile(rb'"doc_id":"([0-9a-f]{64})"')
POLL_SECONDS = 0.2


class HandoffError(Ids2Error):
    """Vector took no import file for too long: no room for the next one, or not taken."""


def import_directory(mount_point: Path) -> Path:
    """Where Vector's `imports` source reads: a directory of its own on the RAM disk."""
    return mount_point / IMPORT_DIRECTORY


def document_id(event: dict[str, Any], tags: Sequence[str]) -> str:
    """The id of `event` imported under `tags`, the same on every run over the same file."""
    stable = {key: value for key, value in event.items() if key not in RANDOM_PER_RUN}
    if event.get("event_type") == "flow":
        # When and why a flow's record was written is a race between Suricata's threads: its
        # flow manager times the flow out, or the end of the file flushes it first.
        stable.pop("timestamp", None)
        flow = stable.get("flow")
        if isinstance(flow, dict):
            stable["flow"] = {key: value for key, value in flow.items() if key != "reason"}
    stable["tags"] = sorted(tags)
    text = json.dumps(stable, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def tagged_lines(
    events: Iterable[dict[str, Any]], tags: Sequence[str], import_id: str
) -> Iterator[tuple[str, bytes]]:
    """(document id, the EVE line Vector gets) for each event, in order; an event repeated
    within the file is one document, given once."""
    given: set[str] = set()
    for event in events:
        doc_id = document_id(event, tags)
        if doc_id not in given:
            given.add(doc_id)
            tagged = {**event, "tags": list(tags), "ids2": {"doc_id": doc_id, "import": import_id}}
            yield doc_id, json.dumps(tagged, separators=(",", ":")).encode() + b"\n"


def spool_files(directory: Path, prefix: str, timestamps: Iterable[Any]) -> list[Path]:
    """The spool's day files that documents of these EVE timestamps go to, where present."""
    names = {index_name(prefix, stamp) for stamp in timestamps} - {None}
    return [directory / f"{name}.ndjson" for name in sorted(map(str, names))]


def stored_ids(paths: Iterable[Path], wanted: set[str]) -> set[str]:
    """The ids of `wanted` that these spool or import files already hold."""
    found: set[str] = set()
    for path in paths:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            continue  # no such day yet, or Vector took the import file meanwhile
        with handle:
            for block in line_blocks(handle):
                found.update(match.decode() for match in DOC_ID.findall(block))
    return found & wanted


def parts(lines: Iterable[bytes], size: int = PART_BYTES) -> Iterator[list[bytes]]:
    """`lines` in order, cut into parts of at most `size` bytes (a longer line alone)."""
    part: list[bytes] = []
    used = 0
    for line in lines:
        if part and used + len(line) > size:
            yield part
            part, used = [], 0
        part.append(line)
        used += len(line)
    if part:
        yield part


class Handoff:
    """Writes import files where Vector reads them, within the RAM disk's room, and waits
    for Vector to take them (it deletes each once read and acknowledged)."""

    def __init__(
        self,
        directory: Path,
        room: Callable[[], int],
        patience_seconds: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`room()` is the bytes that may still be written to the RAM disk."""
        self.directory = directory
        self.room = room
        self.patience_seconds = patience_seconds
        self.sleep = sleep
        self.clock = clock

    def pending(self) -> list[Path]:
        """Import files written and not yet taken by Vector, this run's and earlier ones."""
        return sorted(self.directory.glob("*.json"))

    def hand_over(self, lines: Iterable[bytes], stem: str) -> list[Path]:
        """Write `lines` as STEM-NNNN.json files; the files written. Raises HandoffError
        when Vector took nothing for `patience_seconds` while a part waited for room."""
        self.directory.mkdir(mode=0o755, exist_ok=True)
        written: list[Path] = []
        for number, part in enumerate(parts(lines)):
            data = b"".join(part)
            self._wait_for_room(
                len(data),
                f"no room on the RAM disk for {stem}: Vector has taken no import file for "
                f"{self.patience_seconds:.0f} s ({len(written)} part(s) of it handed over)",
            )
            path = self.directory / f"{stem}-{number:04d}.json"
            temporary = path.with_name(path.name + ".part")  # outside Vector's *.json
            temporary.write_bytes(data)
            os.replace(temporary, path)
            written.append(path)
        return written

    def wait_taken(self, paths: Sequence[Path]) -> None:
        """Return once Vector has taken all of `paths`; HandoffError when it takes none
        for `patience_seconds`."""
        self._wait(
            lambda: not any(path.exists() for path in paths),
            f"Vector has taken no import file from {self.directory} for "
            f"{self.patience_seconds:.0f} s; they stay there for it",
        )

    def _wait_for_room(self, size: int, problem: str) -> None:
        self._wait(lambda: self.room() >= size, problem)

    def _wait(self, done: Callable[[], bool], problem: str) -> None:
        waiting = len(self.pending())
        progress = self.clock()
        while not done():
            now_waiting = len(self.pending())
            if now_waiting < waiting:
                progress = self.clock()
            waiting = now_waiting
            if self.clock() - progress > self.patience_seconds:
                raise HandoffError(problem)
            self.sleep(POLL_SECONDS)
