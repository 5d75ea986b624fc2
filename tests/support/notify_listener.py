"""The service manager's end of sd_notify, for tests: a datagram socket that records messages."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class NotifyListener:
    """Binds a unix datagram socket and collects (monotonic time, {VAR: value}) messages."""

    path: Path
    messages: list[tuple[float, dict[str, str]]] = field(default_factory=list)
    cursor: int = 0
    """Messages before this index were already matched by wait_for()."""

    def __post_init__(self) -> None:
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(str(self.path))

    def close(self) -> None:
        self.socket.close()

    def drain(self, seconds: float) -> None:
        """Collect messages for `seconds`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.socket.settimeout(left)
            try:
                data = self.socket.recv(4096)
            except TimeoutError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.messages.append((time.monotonic(), fields))

    def wait_for(self, variable: str, value: str = "1", timeout: float = 10.0) -> dict[str, str]:
        """Collect until a message after the last match sets `variable` to `value`."""
        deadline = time.monotonic() + timeout
        while True:
            for index in range(self.cursor, len(self.messages)):
                fields = self.messages[index][1]
                if fields.get(variable) == value:
                    self.cursor = index + 1
                    return fields
            if time.monotonic() >= deadline:
                break
            self.drain(min(0.1, max(deadline - time.monotonic(), 0.0)))
        raise AssertionError(f"no {variable}={value} within {timeout} s: {self.messages[-5:]}")

    def times_of(self, variable: str, since: float = 0.0) -> list[float]:
        """Arrival times of messages that set `variable`, after `since`."""
        return [at for at, fields in self.messages if variable in fields and at >= since]
