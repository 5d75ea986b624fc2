"""NodeFront: a double in front of a real node, only for what no node can do (not OpenSearch).

Passwords and the TLS tests are the secure node's own (tests/opensearch/security.py): the
front checks no password and forwards the client's Authorization header. What it adds:
- SigV4, which only AWS's service checks: `auth="aws"` verifies the signature with
  `tests/doubles/sigv4.py` (403 as AWS answers it), over TLS when given a server context;
- faults on demand, which a node makes only under conditions a test cannot time: queued
  statuses or delays for the next requests, and a certificate the test chooses (an expired
  one);
- the ISM endpoints: the index-management plugin is not on Maven Central (see
  tests/doubles/ism.py for what was refused), so `/_plugins/_ism/...` is answered by the
  ISM double on the node's real indices;
- a record of every request;
- TLS of its own (`tls`) where a client must reach it over https: SigV4, and deploys to the
  secure node whose ISM calls it answers.
Everything else goes to the node unchanged (over TLS trusting `node_context` when the node
speaks https), and its answers come back unchanged.
"""

from __future__ import annotations

import gzip
import http.client
import json
import ssl
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

from botocore.credentials import Credentials

from tests.doubles.ism import PREFIX as ISM_PREFIX
from tests.doubles.ism import IsmDouble
from tests.doubles.opensearch_faults import Fault, FaultPlan, refusal
from tests.doubles.sigv4 import signature_problem

TEST_CREDENTIALS = Credentials("AKIDIDS2TESTDOUBLE", "ids2-test-double-secret-key")
TEST_REGION = "eu-west-1"
AUTH_MODES = ("none", "aws")
# Hop-by-hop or rewritten by the front; everything else goes through as sent.
_NOT_FORWARDED = {"host", "connection", "keep-alive", "content-length"}

Answer = tuple[int, dict[str, str], bytes]  # status, headers, body


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received: header names in lower case, the body as sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> bytes:
        """The body gunzipped when it came with Content-Encoding gzip."""
        if self.headers.get("content-encoding") == "gzip":
            return gzip.decompress(self.body)
        return self.body


class NodeFront:
    """`with NodeFront(node_url, ...) as front:`; clients use `front.url`.

    `auth` is "none" (the client's Authorization goes to the node, which judges it) or
    "aws" (a SigV4 signature by `credentials` for `region` and service "es", else 403; the
    node gets no Authorization). `tls` is the server context clients see; `node_context`
    the client context for a node that speaks https.
    """

    def __init__(
        self,
        node_url: str,
        tls: ssl.SSLContext | None = None,
        auth: str = "none",
        credentials: Credentials = TEST_CREDENTIALS,
        region: str = TEST_REGION,
        node_context: ssl.SSLContext | None = None,
    ) -> None:
        if auth not in AUTH_MODES:
            raise ValueError(f"auth must be one of {AUTH_MODES}, got {auth!r}")
        self.node = urlsplit(node_url)
        self.tls, self.auth, self.node_context = tls, auth, node_context
        self.credentials, self.region = credentials, region
        self.ism = IsmDouble()
        self.faults = FaultPlan()
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def __enter__(self) -> NodeFront:
        self._stopping.clear()
        self.server = _Server(self)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()  # releases requests held by a delay fault
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def url(self) -> str:
        """`localhost`, so the test CA's certificate for localhost verifies."""
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://localhost:{self.server.server_address[1]}"

    def fail_next(
        self, status: int, count: int = 1, delay_seconds: float = 0.0, path: str = ""
    ) -> None:
        """The next `count` requests whose path contains `path` answer `status` after
        `delay_seconds`, without reaching the node; status 0 lets them through, only late."""
        self.faults.add(Fault(status, count, delay_seconds, path))

    def hang_next(self, seconds: float, count: int = 1, path: str = "") -> None:
        """Hold the next `count` requests for `seconds`, to make clients time out."""
        self.fail_next(0, count, seconds, path)

    def answer(self, request: RecordedRequest) -> Answer:
        """(status, headers, body) for one request: a fault, a refusal, the ISM double's
        answer or the node's."""
        with self._lock:
            self.requests.append(request)
        fault = self.faults.take(request.path)
        if fault is not None:
            self._stopping.wait(fault.delay_seconds)
            if fault.status:
                return encoded(*refusal(fault.status))
        problem = self._auth_problem(request)
        if problem is not None:
            return problem
        headers = self._node_headers(request.headers)
        if request.path.startswith(ISM_PREFIX):
            status, document = self.ism.handle(
                request.method,
                request.path,
                request.payload,
                lambda expression: self._indices(expression, headers),
            )
            return encoded(status, document, {})
        return self._forward(request.method, request.path, headers, request.body)

    def _node_headers(self, headers: dict[str, str]) -> dict[str, str]:
        """The headers the node gets: a signature for AWS stays with the front."""
        forwarded = {k: v for k, v in headers.items() if k not in _NOT_FORWARDED}
        if self.auth == "aws":
            forwarded.pop("authorization", None)
        return forwarded

    def _auth_problem(self, request: RecordedRequest) -> Answer | None:
        if self.auth == "aws":
            scheme = "https" if self.tls is not None else "http"
            problem = signature_problem(
                request.method,
                f"{scheme}://{request.headers.get('host', '')}{request.path}",
                request.headers,
                request.body,
                self.credentials,
                self.region,
            )
            return None if problem is None else encoded(403, {"message": problem}, {})
        return None

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        connection = (
            http.client.HTTPSConnection(
                self.node.hostname, self.node.port, timeout=60, context=self.node_context
            )
            if self.node.scheme == "https"
            else http.client.HTTPConnection(self.node.hostname, self.node.port, timeout=60)
        )
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def _indices(self, expression: str, headers: dict[str, str]) -> list[str]:
        """The node's indices that `expression` names ([] for a pattern matching none),
        asked with the client's credentials (`headers`)."""
        where = "" if expression == "_all" else "/" + quote(expression, safe="*,-")
        credentials = {k: v for k, v in headers.items() if k == "authorization"}
        status, _headers, body = self._forward(
            "GET", f"/_cat/indices{where}?format=json&h=index", credentials, b""
        )
        if status == 404:
            return []
        return sorted(row["index"] for row in json.loads(body) if not row["index"].startswith("."))


def encoded(status: int, body: Any, headers: dict[str, str]) -> Answer:
    """A JSON document, or a text body like the security plugin's 401, as bytes."""
    text = isinstance(body, str)
    kind = "text/plain" if text else "application/json"
    payload = body.encode() if text else json.dumps(body).encode()
    return status, {"content-type": f"{kind}; charset=UTF-8", **headers}, payload


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
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `requests`, the node keeps its own logs."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            self.command,
            self.path,
            {name.lower(): value for name, value in self.headers.items()},
            self.rfile.read(length) if length else b"",
        )
        status, headers, payload = self.server.front.answer(request)
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in _NOT_FORWARDED and name.lower() != "transfer-encoding":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle
