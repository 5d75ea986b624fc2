"""OpenSearchTestDouble: a local HTTP server that answers the OpenSearch REST calls ids2 makes.

It is a test double, not OpenSearch: it keeps documents in memory, answers only the calls
and queries ids2 sends (see opensearch_store and opensearch_queries), and returns the
response shapes OpenSearch documents for them (bulk with per-item status and errors,
cluster health, count, search hits, index templates, ISM policies with _seq_no and
_primary_term). It listens on 127.0.0.1 with an ephemeral port, over TLS when given a
server context. Tests queue faults (401, 403, 429, 5xx, delays; 429 per bulk item), may
require basic auth or a SigV4 signature by known test credentials, and read back every
request it received.
"""

from __future__ import annotations

import base64
import gzip
import json
import ssl
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from botocore.credentials import Credentials

from tests.doubles.opensearch_faults import Fault, FaultPlan, refusal
from tests.doubles.opensearch_store import DocumentStore
from tests.doubles.sigv4 import signature_problem

TEST_CREDENTIALS = Credentials("AKIDIDS2TESTDOUBLE", "ids2-test-double-secret-key")
TEST_REGION = "eu-west-1"
AUTH_MODES = ("none", "basic", "aws")

Answer = tuple[int, Any, dict[str, str]]  # status, JSON document or text, extra headers


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received: header names in lower case, the body as sent."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> bytes:
        """The body as the double read it: gunzipped when it came with Content-Encoding gzip."""
        if self.headers.get("content-encoding") == "gzip":
            return gzip.decompress(self.body)
        return self.body


@dataclass
class OpenSearchTestDouble:
    """`start()`/`stop()` or `with`; clients connect to `url`.

    `auth` is "none", "basic" (`username`/`password`, else 401) or "aws" (a SigV4
    signature by `credentials` for `region` and service "es", else 403).
    """

    auth: str = "none"
    username: str = "ids2"
    password: str = "ids2-test-password"
    tls: ssl.SSLContext | None = None
    credentials: Credentials = TEST_CREDENTIALS
    region: str = TEST_REGION
    store: DocumentStore = field(default_factory=DocumentStore)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: FaultPlan = field(default_factory=FaultPlan)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, repr=False)

    def __post_init__(self) -> None:
        if self.auth not in AUTH_MODES:
            raise ValueError(f"auth must be one of {AUTH_MODES}, got {self.auth!r}")

    def start(self) -> OpenSearchTestDouble:
        """Listen and serve in a background thread; returns self, so `double = ...start()`."""
        self._stopping.clear()
        self.server = _Server(self)
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() may wait
            name="opensearch-test-double",
            daemon=True,
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, releasing requests held by a delay fault, and close the socket."""
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def __enter__(self) -> OpenSearchTestDouble:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Where to connect: `localhost`, so a TLS certificate for localhost verifies."""
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://localhost:{self.server.server_address[1]}"

    def fail_next(
        self, status: int, count: int = 1, delay_seconds: float = 0.0, path: str = ""
    ) -> None:
        """The next `count` requests whose path contains `path` answer `status` after
        `delay_seconds`; status 0 answers them normally, only late."""
        self.faults.add(Fault(status, count, delay_seconds, path))

    def hang_next(self, seconds: float, count: int = 1, path: str = "") -> None:
        """Hold the next `count` requests (whose path contains `path`) for `seconds`, to
        make clients time out; `stop()` releases them."""
        self.fail_next(0, count, seconds, path)

    def fail_next_items(self, count: int, status: int = 429) -> None:
        """The next `count` bulk items are refused with `status` (429:
        es_rejected_execution_exception) and not written; the rest of the bulk proceeds."""
        with self.store.lock:
            self.store.item_faults.extend([status] * count)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _answer(self, request: RecordedRequest) -> Answer:
        fault = self.faults.take(request.path)
        if fault is not None:
            self._stopping.wait(fault.delay_seconds)
            if fault.status:
                return refusal(fault.status)
        refused = self._auth_refusal(request)
        if refused is not None:
            return refused
        return self._serve(request)

    def _serve(self, request: RecordedRequest) -> Answer:
        """The answer to a request that passed the faults and the auth check."""
        status, document = self.store.handle(request.method, request.path, request.payload)
        return status, document, {}

    def _auth_refusal(self, request: RecordedRequest) -> Answer | None:
        given = request.headers.get("authorization", "")
        if self.auth == "basic":
            expected = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            return None if given == f"Basic {expected}" else refusal(401)
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
            return None if problem is None else (403, {"message": problem}, {})
        return None


class _Server(ThreadingHTTPServer):
    """Handshakes TLS in each request's thread, so a stalled client blocks only itself."""

    daemon_threads = True

    def __init__(self, double: OpenSearchTestDouble) -> None:
        self.double = double
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> tuple[Any, Any]:
        connection, address = super().get_request()
        if self.double.tls is not None:
            connection = self.double.tls.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet for clients that hang up (timeouts) or refuse the certificate: tests do both."""
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
        """Quiet: tests read `requests` instead."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = RecordedRequest(
            self.command,
            self.path,
            {name.lower(): value for name, value in self.headers.items()},
            self.rfile.read(length) if length else b"",
        )
        double = self.server.double
        double._record(request)
        status, body, headers = double._answer(request)
        text = isinstance(body, str)
        payload = body.encode() if text else json.dumps(body).encode()
        self.send_response(status)
        self.send_header(
            "Content-Type", f"{'text/plain' if text else 'application/json'}; charset=UTF-8"
        )
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle
