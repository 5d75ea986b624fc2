"""DNS resolution, TCP connect and TLS handshake, each within its timeout and the round's."""

from __future__ import annotations

import socket
import ssl
import time

from ids2 import TYPE_CHECKING
from ids2.common.aside import Aside
from ids2.common.deadline import Deadline, ProbeError

if TYPE_CHECKING:
    from typing import Any

_resolver = Aside("dns")


def resolve(host: str, port: int, deadline: Deadline, timeout: float) -> list[str]:
    """The host's addresses; getaddrinfo has no timeout of its own, so it runs aside."""
    what = f"DNS lookup of {host}"
    try:
        answers = _resolver.call(
            lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM),
            deadline.limit(timeout, what),
            what,
        )
    except socket.gaierror as error:
        raise ProbeError(f"{what} failed: {error.strerror}") from None
    return sorted({str(answer[4][0]) for answer in answers})


def tcp_connect(address: str, port: int, deadline: Deadline, timeout: float) -> dict[str, Any]:
    """Open and close a TCP connection; report the address used."""
    try:
        limit = deadline.limit(timeout, f"TCP connect to {address}:{port}")
        socket.create_connection((address, port), timeout=limit).close()
    except OSError as error:
        raise ProbeError(f"TCP connect to {address}:{port} failed: {error}") from None
    return {"address": address}


def tls_handshake(
    host: str,
    address: str,
    port: int,
    context: ssl.SSLContext,
    deadline: Deadline,
    timeout: float,
) -> dict[str, Any]:
    """Handshake with certificate verification; return the days until the cert expires."""
    limit = deadline.limit(timeout, f"TLS handshake with {host}:{port}")
    try:
        with (
            socket.create_connection((address, port), timeout=limit) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            certificate = tls.getpeercert()
            version = tls.version()
    except ssl.SSLCertVerificationError as error:
        raise ProbeError(f"TLS certificate of {host} refused: {error.verify_message}") from None
    except (ssl.SSLError, OSError) as error:
        raise ProbeError(f"TLS handshake with {host}:{port} failed: {error}") from None
    details: dict[str, Any] = {"tls_version": version}
    if certificate and "notAfter" in certificate:
        expires = ssl.cert_time_to_seconds(str(certificate["notAfter"]))
        details["days_until_expiry"] = round((expires - time.time()) / 86400, 2)
    return details
