"""A TLS + basic-auth reverse proxy in front of the real node, for tests (not OpenSearch).

The minimal distribution has no security plugin, so the node itself cannot demand a
password or speak TLS. This proxy does both with our test CA's certificate, and forwards
every request it lets through to the node unchanged. The ISM plugin is not published on
Maven Central either: its endpoints (`/_plugins/_ism/...`) are answered by the OpenSearch
test double's store, so only the ISM policy's acceptance stays on a double; templates,
bulk, search and everything else are the real node's answers.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from tests.doubles.opensearch_store import DocumentStore

ISM_PREFIX = "/_plugins/_ism/"
# Hop-by-hop or rewritten by the proxy; everything else goes through as sent.
_NOT_FORWARDED = {"authorization", "host", "connection", "keep-alive", "content-length"}


class NodeFront:
    """`with NodeFront(node_url, tls, username, password) as front:`; clients use `front.url`.

    Without `username` every request passes; with it, anything but that user and password
    gets the 401 the security plugin answers.
    """

    def __init__(
        self,
        node_url: str,
        tls: ssl.SSLContext | None = None,
        username: str = "",
        password: str = "",
    ) -> None:
        self.node = urlsplit(node_url)
        self.tls = tls
        self.expected = (
            "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
            if username
            else ""
        )
        self.ism = DocumentStore()

    def __enter__(self) -> NodeFront:
        self.server = _Server(self)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def url(self) -> str:
        """`localhost`, so the test CA's certificate for localhost verifies."""
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://localhost:{self.server.server_address[1]}"

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for one request: refused, the ISM double's, or the node's."""
        if self.expected and headers.get("authorization") != self.expected:
            refusal = {"error": "Unauthorized", "status": 401}
            return (
                401,
                _json_headers({"WWW-Authenticate": 'Basic realm="ids2 test"'}),
                (json.dumps(refusal).encode()),
            )
        if path.startswith(ISM_PREFIX):
            status, document = self.ism.handle(method, path, body)
            return status, _json_headers({}), json.dumps(document).encode()
        connection = http.client.HTTPConnection(self.node.hostname, self.node.port, timeout=60)
        try:
            forwarded = {k: v for k, v in headers.items() if k not in _NOT_FORWARDED}
            connection.request(method, path, body=body or None, headers=forwarded)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


def _json_headers(extra: dict[str, str]) -> dict[str, str]:
    return {"content-type": "application/json; charset=UTF-8", **extra}


class _Server(ThreadingHTTPServer):
    """Handshakes TLS in each request's thread, so a stalled client blocks only itself."""

    daemon_threads = True

    def __init__(self, front: NodeFront) -> None:
        self.front = front
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[Any, Any]:
        connection, address = super().get_request()
        if self.front.tls is not None:
            connection = self.front.tls.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet for clients that hang up or refuse the certificate: tests do both."""
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the node keeps its own logs."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        status, answer_headers, payload = self.server.front.answer(
            self.command, self.path, headers, body
        )
        self.send_response(status)
        for name, value in answer_headers.items():
            if name.lower() not in _NOT_FORWARDED and name.lower() != "transfer-encoding":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle
