"""A minimal Redis client (RESP2 over TCP): enough for the spill list, with no dependency.

ids2 only needs a handful of commands on one list (LLEN, LRANGE, EVAL, DEL, SET); a
blocking socket with a timeout and a parser of the five reply types covers them.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import unquote, urlsplit

from ids2.errors import Ids2Error

DEFAULT_PORT = 6379


class RedisError(Ids2Error):
    """Redis could not be reached, or answered a command with an error."""


class RedisConnection:
    """One connection to the Redis at `url` (redis://[:password@]host[:port][/db])."""

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "redis" or not parts.hostname:
            raise RedisError(f"{url!r} is not a redis://host:port/db URL")
        self.url = url
        try:
            self.socket = socket.create_connection(
                (parts.hostname, parts.port or DEFAULT_PORT), timeout=timeout
            )
        except OSError as error:
            raise RedisError(
                f"cannot reach Redis at {parts.hostname}:{parts.port}: {error}"
            ) from None
        self.reader = self.socket.makefile("rb")
        if parts.password:
            self.command("AUTH", unquote(parts.password))
        database = parts.path.strip("/")
        if database and database != "0":
            self.command("SELECT", database)

    def __enter__(self) -> RedisConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.reader.close()
        self.socket.close()

    def command(self, *arguments: str | bytes | int) -> Any:
        """Send one command; its reply (bytes, int, str, list or None), or RedisError."""
        encoded = [a if isinstance(a, bytes) else str(a).encode() for a in arguments]
        request = b"*%d\r\n" % len(encoded) + b"".join(
            b"$%d\r\n%s\r\n" % (len(item), item) for item in encoded
        )
        try:
            self.socket.sendall(request)
            return self._reply()
        except OSError as error:
            raise RedisError(f"Redis at {self.url}: {error}") from None

    def _line(self) -> bytes:
        line = self.reader.readline()
        if not line.endswith(b"\r\n"):
            raise RedisError(f"Redis at {self.url} closed the connection")
        return line[:-2]

    def _reply(self) -> Any:
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(f"Redis: {rest.decode(errors='replace')}")
        if kind == b":":
            return int(rest)
        if kind == b"$":
            length = int(rest)
            if length < 0:
                return None
            data = self.reader.read(length + 2)
            return data[:-2]
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._reply() for _ in range(count)]
        raise RedisError(f"Redis at {self.url} answered something that is not RESP: {line!r}")
