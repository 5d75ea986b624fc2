"""A loopback endpoint that blackholes: TCP connections complete, nothing is ever answered.

The socket listens but never accepts, so the kernel completes handshakes into its backlog
and every read of a client (a TLS ServerHello, an HTTP response) waits for ever.
"""

from __future__ import annotations

import socket
from types import TracebackType


class Blackhole:
    """`with Blackhole() as hole:` clients connect to `hole.port` on 127.0.0.1."""

    def __enter__(self) -> Blackhole:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)
        self.port: int = self.socket.getsockname()[1]
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.socket.close()
