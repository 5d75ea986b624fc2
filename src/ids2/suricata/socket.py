"""Suricata's unix command socket: the JSON protocol suricatasc speaks.

The client announces a protocol version, then sends one command per request and reads
one JSON answer. Used for rule reloads, log reopening and counters.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from ids2.errors import Ids2Error

PROTOCOL_VERSION = "0.2"


class SuricataSocketError(Ids2Error):
    """The socket is missing, Suricata did not answer, or it refused a command."""


def _parsed(data: bytes) -> dict[str, Any] | None:
    """The JSON answer once it has arrived whole, else None (keep reading)."""
    try:
        answer: dict[str, Any] = json.loads(data)
    except ValueError:
        return None
    return answer


class SuricataSocket:
    """A connection to Suricata's command socket; use as a context manager."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self._socket: socket.socket | None = None
        self._buffer = b""

    def __enter__(self) -> SuricataSocket:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(self.timeout)
        try:
            connection.connect(str(self.path))
        except OSError as error:
            connection.close()
            raise SuricataSocketError(
                f"cannot reach Suricata's command socket {self.path} (sensor.unix_socket): "
                f"{error.strerror or error}"
            ) from None
        self._socket = connection
        answer = self._exchange({"version": PROTOCOL_VERSION})
        if answer.get("return") != "OK":
            raise SuricataSocketError(f"Suricata refused protocol {PROTOCOL_VERSION}: {answer}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self._socket is not None
        try:
            self._socket.sendall(json.dumps(message).encode() + b"\n")
            while (answer := _parsed(self._buffer)) is None:
                chunk = self._socket.recv(65536)
                if not chunk:
                    raise SuricataSocketError("Suricata closed the command socket")
                self._buffer += chunk
        except OSError as error:
            raise SuricataSocketError(f"command socket {self.path}: {error}") from None
        self._buffer = b""
        return answer

    def command(self, name: str, **arguments: Any) -> Any:
        """Run a command; its `message` on success, SuricataSocketError on NOK."""
        request: dict[str, Any] = {"command": name}
        if arguments:
            request["arguments"] = arguments
        answer = self._exchange(request)
        if answer.get("return") != "OK":
            raise SuricataSocketError(f"Suricata refused {name}: {answer.get('message')}")
        return answer.get("message")
