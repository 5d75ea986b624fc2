"""The complete lines appended to Suricata's alerts-*.json files since the last look.

Shared by `ids2 alerts --follow` and the alert metrics: both want each new alert once,
whatever rotation (a new file every interval), deletion or truncation did in between.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ids2.suricata import ALERTS_STEM

CHUNK_BYTES = 1024 * 1024  # a backlog is read in pieces, so memory does not grow with it


class Tail:
    """Remembers how far each alerts file was read; what was there at the start is old.

    A position is kept with the file's inode: a file replaced under the same name, or one
    shorter than what was read (truncated), is read again from its start.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.positions: dict[Path, tuple[int, int]] = {}
        for path in self._files():
            try:
                status = path.stat()
            except FileNotFoundError:
                continue
            self.positions[path] = (status.st_ino, status.st_size)

    def _files(self) -> list[Path]:
        """The alerts files, oldest first: their names carry their start time."""
        try:
            return sorted(self.directory.glob(f"{ALERTS_STEM}-*.json"))
        except OSError:
            return []

    def new_lines(self) -> Iterator[bytes]:
        """Each complete line written since the last call, file by file, without its newline.

        A line still being written stays for the next call. Positions move before a
        chunk's lines are handed over, so a caller that stops early skips the rest of it.
        """
        files = self._files()
        for path in files:
            yield from self._read(path)
        present = set(files)
        self.positions = {path: at for path, at in self.positions.items() if path in present}

    def _read(self, path: Path) -> Iterator[bytes]:
        try:
            handle = path.open("rb")
        except OSError:
            return  # rotated away and deleted in between, or unreadable: try again next time
        with handle:
            status = os.fstat(handle.fileno())
            inode, offset = self.positions.get(path, (status.st_ino, 0))
            if inode != status.st_ino or offset > status.st_size:
                inode, offset = status.st_ino, 0
            handle.seek(offset)
            pending = b""
            while chunk := handle.read(CHUNK_BYTES):
                data = pending + chunk
                end = data.rfind(b"\n") + 1
                pending = data[end:]
                offset += end
                self.positions[path] = (inode, offset)
                if end:
                    yield from data[: end - 1].split(b"\n")
