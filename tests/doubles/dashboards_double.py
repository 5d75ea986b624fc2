"""DashboardsTestDouble: a local HTTP server that answers OpenSearch Dashboards' saved-objects
import the way Dashboards does.

It is a test double, not Dashboards. It is a NodeFront (tests/opensearch/front.py): its
server, TLS, faults, recorded requests and SigV4 check (for service `es`, as AWS signs its
`/_dashboards`); with a `password` it asks for basic auth itself, as a self-hosted
Dashboards does (401, the security plugin's answer). It serves one route under `prefix`:
`POST /api/saved_objects/_import`; with a prefix, whatever is outside it goes to the real
OpenSearch node behind the front, as on an AWS domain.
Like Dashboards, it refuses a request without `osd-xsrf` (400), one that is not
multipart/form-data with a `file` field holding an `.ndjson` file of saved objects (400),
and anything else (404). It keeps what was imported by type and id: without
`overwrite=true` an object already there is a conflict (success false, as Dashboards
answers), with it the object is replaced.
"""

from __future__ import annotations

import base64
import json
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.doubles.opensearch_faults import refusal
from tests.opensearch.front import Answer, NodeFront, RecordedRequest, encoded

IMPORT_ROUTE = "/api/saved_objects/_import"


def _bad_request(message: str) -> Answer:
    return encoded(400, {"statusCode": 400, "error": "Bad Request", "message": message}, {})


def form_fields(content_type: str, body: bytes) -> dict[str, Message]:
    """The parts of a multipart/form-data body by field name; {} when it is not one."""
    if not content_type.startswith("multipart/form-data"):
        return {}
    parsed = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not parsed.is_multipart():
        return {}
    fields: dict[str, Message] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            fields[name] = part
    return fields


class DashboardsTestDouble(NodeFront):
    """`prefix` is where Dashboards lives on the server ('/_dashboards' on AWS); `node_url`
    the real node beside it (needed only with a prefix); `username`/`password` the basic
    auth it asks for (none when `password` is '')."""

    def __init__(
        self,
        node_url: str = "",
        prefix: str = "",
        username: str = "ids2",
        password: str = "",
        **front: Any,
    ) -> None:
        super().__init__(node_url, **front)
        self.prefix = prefix
        self.username, self.password = username, password
        self.saved: dict[tuple[str, str], dict[str, Any]] = {}

    @property
    def dashboards_url(self) -> str:
        return self.url + self.prefix

    def imports(self) -> list[RecordedRequest]:
        """The import requests received, in order."""
        route = self.prefix + IMPORT_ROUTE
        return [r for r in self.requests if urlsplit(r.path).path == route]

    def answer(self, request: RecordedRequest) -> Answer:
        if self.prefix and not urlsplit(request.path).path.startswith(self.prefix + "/"):
            return super().answer(request)  # the domain's OpenSearch, beside its Dashboards
        with self._lock:
            self.requests.append(request)
        fault = self.faults.take(request.path)
        if fault is not None and fault.status:
            return encoded(*refusal(fault.status))
        return self._login_problem(request) or self._serve(request)

    def _login_problem(self, request: RecordedRequest) -> Answer | None:
        """Basic auth when a password is set, else the front's check (SigV4 or none)."""
        if not self.password:
            return self._auth_problem(request)
        pair = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        if request.headers.get("authorization") == f"Basic {pair}":
            return None
        return encoded(*refusal(401))

    def _serve(self, request: RecordedRequest) -> Answer:
        target = urlsplit(request.path)
        if request.method != "POST" or target.path != self.prefix + IMPORT_ROUTE:
            return encoded(
                404, {"statusCode": 404, "error": "Not Found", "message": "Not Found"}, {}
            )
        if "osd-xsrf" not in request.headers:
            return _bad_request("Request must contain a osd-xsrf header.")
        upload = form_fields(request.headers.get("content-type", ""), request.body).get("file")
        if upload is None:
            return _bad_request(
                "[request.body.file]: expected value of type [Stream] but got [undefined]"
            )
        filename = upload.get_filename() or ""
        if not filename.endswith(".ndjson"):
            extension = filename[filename.rfind(".") :] if "." in filename else ""
            return _bad_request(f"Invalid file extension {extension}")
        payload = upload.get_payload(decode=True)
        assert isinstance(payload, bytes)
        try:
            objects = [json.loads(line) for line in payload.splitlines() if line.strip()]
        except ValueError as error:
            return _bad_request(f"Unexpected token in JSON: {error}")
        overwrite = parse_qs(target.query).get("overwrite") == ["true"]
        return encoded(200, self._import(objects, overwrite), {})

    def _import(self, objects: list[dict[str, Any]], overwrite: bool) -> dict[str, Any]:
        results, errors = [], []
        with self._lock:
            for saved in objects:
                key = (saved["type"], saved["id"])
                title = saved.get("attributes", {}).get("title", "")
                if key in self.saved and not overwrite:
                    errors.append(
                        {
                            "type": key[0],
                            "id": key[1],
                            "title": title,
                            "error": {"type": "conflict"},
                        }
                    )
                    continue
                self.saved[key] = saved
                results.append({"type": key[0], "id": key[1], "meta": {"title": title}})
        answer: dict[str, Any] = {
            "success": not errors,
            "successCount": len(results),
            "successResults": results,
        }
        if errors:
            answer["errors"] = errors
        return answer
