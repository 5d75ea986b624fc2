"""Small JSON state files under the runtime directory, shared between controllers.

Each controller owns one file and replaces it atomically (temp file + rename), so readers
never see half a file. Every file carries the time it was written so readers can tell
stale state from a controller that hung or died.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ids2 import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

DEFAULT_RUNTIME_DIR = "/run/ids2"


def runtime_dir() -> Path:
    """$IDS2_RUNTIME_DIR, then systemd's $RUNTIME_DIRECTORY, then /run/ids2."""
    chosen = os.environ.get("IDS2_RUNTIME_DIR") or os.environ.get("RUNTIME_DIRECTORY", "")
    return Path(chosen.split(":")[0] or DEFAULT_RUNTIME_DIR)


class State:
    """One controller's last published state.

    A plain class rather than a dataclass: see the `ids2` package.
    """

    __slots__ = ("data", "name", "updated_at")

    def __init__(self, name: str, data: dict[str, Any], updated_at: float) -> None:
        self.name = name
        self.data = data
        self.updated_at = updated_at

    def age(self, now: float | None = None) -> float:
        """Seconds since the owner last wrote it."""
        return (time.time() if now is None else now) - self.updated_at


class StateStore:
    """Reads and atomically writes `<name>.json` files in one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def write(self, name: str, data: dict[str, Any]) -> None:
        """Replace `name`'s state with `data` plus the time and the writer's pid."""
        self.directory.mkdir(parents=True, exist_ok=True)
        document = {"updated_at": time.time(), "pid": os.getpid(), **data}
        # One writer per name and process, so the pid makes the temp name unique; tempfile
        # would cost every controller a megabyte of imports (random, shutil, hashlib).
        temp_path = self.directory / f".{name}.{os.getpid()}.tmp"
        try:
            with temp_path.open("w", encoding="utf-8") as temp_file:
                json.dump(document, temp_file, separators=(",", ":"), default=str)
            temp_path.chmod(0o644)
            temp_path.replace(self.path(name))
        except BaseException:
            temp_path.unlink(missing_ok=True)
            raise

    def read(self, name: str) -> State | None:
        """The state `name` last wrote, or None when it never did or the file is unreadable."""
        try:
            document = json.loads(self.path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(document, dict):
            return None
        updated_at = document.pop("updated_at", 0.0)
        return State(
            name, document, float(updated_at) if isinstance(updated_at, int | float) else 0.0
        )

    def read_all(self) -> dict[str, State]:
        """Every state file present, by controller name."""
        states = {}
        for path in sorted(self.directory.glob("*.json")):
            state = self.read(path.stem)
            if state is not None:
                states[path.stem] = state
        return states
