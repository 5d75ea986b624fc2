"""OpenSearch's REST API over one kept-alive http.client connection, for the controllers.

The connectivity probe and the verify controller's canary search make four kinds of
request, for as long as the sensor runs. opensearch-py, urllib3 and requests would keep
about 18 MB more in each of those two processes (bench/footprint_bench.py); the one-shot
commands (deploy, spool replay) keep using opensearch-py through opensearch_client.
TLS is verified against the configured CA bundle; requests are signed with SigV4
(botocore, imported only in auth mode aws) or carry basic auth.
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
from collections.abc import Callable, Mapping
from urllib.parse import urlencode, urlsplit

from ids2 import TYPE_CHECKING
from ids2.common.tls import tls_context
from ids2.config.values import Config
from ids2.errors import Ids2Error
from ids2.shipping.opensearch.auth import AWS_SERVICE, aws_credentials, basic_credentials

if TYPE_CHECKING:
    from typing import Any

Signer = Callable[[str, str, dict[str, str], bytes], None]
"""Adds authentication headers for (method, url, headers, body) to the headers."""

_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
"""How a kept-alive connection the server closed while idle fails on its next use."""


class OpenSearchHTTPError(Ids2Error):
    """OpenSearch answered with an error status; `reason` is its error type and reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {http.client.responses.get(status, 'error')}: {reason}")
        self.status = status
        self.reason = reason


class OpenSearchHTTP:
    """JSON requests to one endpoint, over a connection opened when needed and kept alive."""

    def __init__(
        self,
        endpoint: str,
        timeout: float,
        context: ssl.SSLContext | None = None,
        sign: Signer | None = None,
    ) -> None:
        parts = urlsplit(endpoint)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.context = context
        self.sign = sign
        self._connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        document: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The decoded answer; OpenSearchHTTPError for an error status, OSError (TimeoutError
        included) when the endpoint cannot be reached or does not answer in time.

        A list `document` is sent as NDJSON (bulk), anything else but None as JSON.
        """
        headers: dict[str, str] = {}
        body = b""
        if isinstance(document, list):
            body = b"".join(json.dumps(line).encode() + b"\n" for line in document)
            headers["Content-Type"] = "application/x-ndjson"
        elif document is not None:
            body = json.dumps(document).encode()
            headers["Content-Type"] = "application/json"
        return self.send(method, path, body, headers, params)

    def send(
        self,
        method: str,
        path: str,
        body: bytes,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """`request` for a body already encoded (a multipart upload), with its own headers;
        signed and answered the same way."""
        target = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        sent = {"Accept": "application/json", **headers}
        if self.sign is not None:
            self.sign(method, self.origin + target, sent, body)
        status, payload = self._exchange(method, target, body, sent)
        if status >= 400:
            raise OpenSearchHTTPError(status, _reason(payload))
        answer: dict[str, Any] = json.loads(payload) if payload else {}
        return answer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _exchange(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        """Send and read the answer; once again on a new connection when a kept-alive one
        turns out to have been closed by the server before it answered. Whatever fails
        closes the connection; an answer that is not HTTP becomes a ConnectionError."""
        reused = self._connection is not None
        try:
            try:
                return self._send(method, target, body, headers)
            except _STALE:
                if not reused:
                    raise
                self.close()
                return self._send(method, target, body, headers)
        except http.client.HTTPException as error:  # not an OSError: a garbled answer
            self.close()
            raise ConnectionError(f"{type(error).__name__}: {error}") from error
        except BaseException:  # a connection in an unknown state is never used again
            self.close()
            raise

    def _send(
        self, method: str, target: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if self._connection is None:
            self._connection = (
                http.client.HTTPSConnection(
                    self.host, self.port, timeout=self.timeout, context=self.context
                )
                if self.https
                else http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            )
        self._connection.request(method, target, body=body or None, headers=headers)
        response = self._connection.getresponse()
        payload = response.read()
        if response.will_close:
            self.close()
        return response.status, payload


def _reason(payload: bytes) -> str:
    """OpenSearch's `error.type: error.reason`, Dashboards' `error: message`, or the start
    of whatever else it sent."""
    try:
        document = json.loads(payload)
        error = document.get("error")
    except (ValueError, AttributeError):
        document, error = {}, None
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"
    if isinstance(error, str):
        message = document.get("message")
        return f"{error}: {message}" if isinstance(message, str) else error
    return payload[:200].decode(errors="replace").strip() or "(no body)"


def basic_signer(user: str, password: str) -> Signer:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()

    def sign(_method: str, _url: str, headers: dict[str, str], _body: bytes) -> None:
        headers["Authorization"] = f"Basic {token}"

    return sign


def sigv4_signer(credentials: Any, region: str) -> Signer:
    """SigV4 by botocore, with the credentials frozen per request: an instance role's
    credentials refresh in between without mixing an old key with a new token."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    def sign(method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        SigV4Auth(credentials.get_frozen_credentials(), AWS_SERVICE, region).add_auth(request)
        headers.update(request.headers.items())

    return sign


def make_http_client(config: Config, timeout: float, endpoint: str = "") -> OpenSearchHTTP:
    """A client for shipping.opensearch (or another `endpoint` of the same service, such as
    its Dashboards, with the same TLS and credentials); raises OpenSearchAuthError without
    credentials."""
    opensearch = config["shipping"]["opensearch"]
    endpoint = endpoint or opensearch["endpoint"]
    context = None
    if urlsplit(endpoint).scheme == "https":
        context = tls_context(opensearch["ca_bundle"], opensearch["verify_tls"])
    sign: Signer | None = None
    if opensearch["auth"] == "aws":
        sign = sigv4_signer(*aws_credentials(opensearch))
    elif opensearch["auth"] == "basic":
        sign = basic_signer(*basic_credentials(config))
    return OpenSearchHTTP(endpoint, timeout, context, sign)
