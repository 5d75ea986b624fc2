"""Import the ids2 saved objects into OpenSearch Dashboards, at every deploy.

The objects (stack/opensearch-dashboards/ids2-alerts.ndjson: index pattern, saved search,
visualizations, dashboard) go up with the saved-objects import API, a multipart upload of
the file with `overwrite=true`, so a second import replaces each object by its id instead
of adding copies. Dashboards refuses API calls without the `osd-xsrf` header. AWS serves
a domain's Dashboards under `ENDPOINT/_dashboards` and wants them signed like OpenSearch
(SigV4, service `es`); a self-hosted one takes the same basic auth. The boundary comes
from the content, so the same objects give the very same request each time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from ids2.common.stack_files import stack_dir
from ids2.config.load import Config
from ids2.errors import Ids2Error
from ids2.shipping.opensearch.http import OpenSearchHTTP, OpenSearchHTTPError

IMPORT_PATH = "/api/saved_objects/_import"
SAVED_OBJECTS = "ids2-alerts.ndjson"
SHIPPED_PATTERN = "ids2-logs-*"


def saved_objects_file() -> str:
    """Where the shipped saved objects are, for messages that tell a person to import them."""
    return str(stack_dir() / "opensearch-dashboards" / SAVED_OBJECTS)


def dashboards_url(config: Config) -> str:
    """The Dashboards to import into: shipping.opensearch.dashboards_url, else AWS's
    ENDPOINT/_dashboards with auth aws; '' when there is none to import into."""
    opensearch = config["shipping"]["opensearch"]
    if opensearch["dashboards_url"]:
        return str(opensearch["dashboards_url"]).rstrip("/")
    if opensearch["auth"] == "aws" and opensearch["endpoint"]:
        return str(opensearch["endpoint"]).rstrip("/") + "/_dashboards"
    return ""


def saved_objects(prefix: str) -> bytes:
    """The shipped objects as NDJSON, the index pattern titled for the configured index
    prefix (the file is written for the default, ids2-logs)."""
    lines = []
    path = stack_dir() / "opensearch-dashboards" / SAVED_OBJECTS
    for line in path.read_text(encoding="utf-8").splitlines():
        saved = json.loads(line)
        if saved["type"] == "index-pattern" and saved["attributes"]["title"] == SHIPPED_PATTERN:
            saved["attributes"]["title"] = f"{prefix}-*"
        lines.append(json.dumps(saved, sort_keys=True))
    return "".join(line + "\n" for line in lines).encode()


@dataclass(frozen=True)
class Upload:
    """A multipart/form-data body with one file field, and its Content-Type header."""

    body: bytes
    content_type: str


def multipart_file(field: str, filename: str, content: bytes) -> Upload:
    """One file field as multipart/form-data (RFC 7578), with a boundary derived from the
    content: it cannot occur in it, and the same content gives the same body."""
    boundary = "ids2-" + hashlib.sha256(content).hexdigest()[:40]
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'.encode(),
            b"Content-Type: application/x-ndjson\r\n\r\n",
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return Upload(body, f"multipart/form-data; boundary={boundary}")


def import_request(content: bytes) -> tuple[Upload, dict[str, str], dict[str, str]]:
    """The upload, headers and query that import `content`: everything but the signature."""
    upload = multipart_file("file", SAVED_OBJECTS, content)
    headers = {"Content-Type": upload.content_type, "osd-xsrf": "true"}
    return upload, headers, {"overwrite": "true"}


class DashboardsImportError(Ids2Error):
    """Dashboards could not be reached or did not take every object; the message says why."""


AUTH_MODES = ("aws", "basic", "none")
_REFUSALS = {
    401: {
        "basic": "check opensearch_username and opensearch_password in the secrets file",
        "aws": "Dashboards does not accept SigV4 for this identity",
        "none": "Dashboards wants credentials: set shipping.opensearch.auth",
    },
    403: {mode: "this identity may not write saved objects" for mode in AUTH_MODES},
    404: {
        mode: "no Dashboards there: check shipping.opensearch.dashboards_url" for mode in AUTH_MODES
    },
}


def import_saved_objects(client: OpenSearchHTTP, prefix: str, auth: str) -> str:
    """Import (overwriting by id) the ids2 saved objects through `client`, a client for the
    Dashboards URL; returns one line, raises DashboardsImportError saying what went wrong."""
    url = client.origin + client.prefix
    content = saved_objects(prefix)
    upload, headers, params = import_request(content)
    try:
        answer = client.send("POST", IMPORT_PATH, upload.body, headers, params)
    except OSError as error:
        raise DashboardsImportError(
            f"cannot reach OpenSearch Dashboards at {url}: {error}"
        ) from None
    except OpenSearchHTTPError as error:
        hint = _REFUSALS.get(error.status, {}).get(auth)
        raise DashboardsImportError(
            f"OpenSearch Dashboards at {url} refused the import: {error}"
            + (f" ({hint})" if hint else "")
        ) from None
    except ValueError:
        raise DashboardsImportError(
            f"{url} answered the import with something that is not Dashboards' JSON: "
            "is shipping.opensearch.dashboards_url the Dashboards address?"
        ) from None
    count = len(content.splitlines())
    if answer.get("success") is not True:
        problems = "; ".join(
            f"{error.get('type')} {error.get('id')}: {(error.get('error') or {}).get('type')}"
            for error in answer.get("errors") or []
        )
        raise DashboardsImportError(
            f"OpenSearch Dashboards at {url} imported {answer.get('successCount', 0)} of "
            f"{count} saved objects: {problems or 'no reason given'}"
        )
    return f"{answer.get('successCount', count)} saved objects imported into Dashboards at {url}"
