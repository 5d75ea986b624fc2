"""OpenSearchTestDouble: a local HTTP server that answers the OpenSearch REST calls ids2 makes.

It is a test double, not OpenSearch: it keeps documents in memory, supports only the
queries ids2 sends (term/match on a dotted field, ids, match_all; sort by @timestamp) and
returns the response shapes OpenSearch documents for them (bulk with per-item status and
errors, cluster health, count, search hits, index templates, ISM policies with
_seq_no/_primary_term). Tests inject faults (401, 429, 5xx, delays) and may require basic
auth or a SigV4 signature by known test credentials.
"""

from __future__ import annotations

import base64
import gzip
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.credentials import Credentials

from tests.doubles.opensearch_store import DocumentStore
from tests.doubles.sigv4 import signature_problem

TEST_CREDENTIALS = Credentials("AKIDIDS2TESTDOUBLE", "ids2-test-double-secret-key")
TEST_REGION = "eu-west-1"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Fault:
    status: int
    count: int
    delay_seconds: float = 0.0


@dataclass
class OpenSearchTestDouble:
    """Start with `start()`, stop with `stop()`; `url` is where clients connect."""

    auth: str = "none"  # none, basic, aws
    username: str = "ids2"
    password: str = "ids2-test-password"
    tls: ssl.SSLContext | None = None
    store: DocumentStore = field(default_factory=DocumentStore)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def start(self) -> OpenSearchTestDouble:
        double = self

        class Handler(_Handler):
            owner = double

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://localhost:{self.server.server_address[1]}"

    def fail_next(self, status: int, count: int = 1, delay_seconds: float = 0.0) -> None:
        """The next `count` requests answer `status` (after `delay_seconds`)."""
        self.faults.append(Fault(status, count, delay_seconds))

    def _take_fault(self) -> Fault | None:
        if not self.faults:
            return None
        fault = self.faults[0]
        fault.count -= 1
        if fault.count <= 0:
            self.faults.pop(0)
        return fault


class _Handler(BaseHTTPRequestHandler):
    owner: OpenSearchTestDouble
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `requests` instead."""

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        return body

    def _send(self, status: int, document: Any) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _handle(self) -> None:
        raw = self._body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        owner = self.owner
        owner.requests.append(RecordedRequest(self.command, self.path, headers, raw))
        fault = owner._take_fault()
        if fault is not None:
            time.sleep(fault.delay_seconds)
            if fault.status:
                self._send(fault.status, _error_body(fault.status))
                return
        refusal = self._refusal(headers, raw)
        if refusal is not None:
            self._send(*refusal)
            return
        body = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
        status, document = owner.store.handle(self.command, self.path, body)
        self._send(status, document)

    def _refusal(self, headers: dict[str, str], raw: bytes) -> tuple[int, Any] | None:
        owner = self.owner
        if owner.auth == "basic":
            expected = base64.b64encode(f"{owner.username}:{owner.password}".encode()).decode()
            if headers.get("authorization") != f"Basic {expected}":
                return 401, _error_body(401)
        if owner.auth == "aws":
            host = headers.get("host", "")
            scheme = "https" if owner.tls is not None else "http"
            problem = signature_problem(
                self.command,
                f"{scheme}://{host}{self.path}",
                headers,
                raw,
                TEST_CREDENTIALS,
                TEST_REGION,
            )
            if problem is not None:
                return 403, {"message": problem}
        return None

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


def _error_body(status: int) -> dict[str, Any]:
    kinds = {
        401: "security_exception",
        403: "security_exception",
        429: "es_rejected_execution_exception",
        503: "cluster_block_exception",
    }
    kind = kinds.get(status, "exception")
    return {
        "error": {
            "root_cause": [{"type": kind, "reason": f"test double fault {status}"}],
            "type": kind,
            "reason": f"test double fault {status}",
        },
        "status": status,
    }
