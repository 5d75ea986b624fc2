"""SigV4 verification for the OpenSearch test double: recompute the signature with botocore.

The double knows the test credentials, so it rebuilds the canonical request the client
signed (same method, path, query, signed headers, `x-amz-date` and body) and compares: a
wrong secret, region or service, a stale date or a tampered body gives another signature,
and the 403 message AWS gives for it.
"""

from __future__ import annotations

import datetime
import hashlib
import re

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, ?SignedHeaders=(?P<headers>[^,]+), ?"
    r"Signature=(?P<signature>[0-9a-f]{64})"
)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_ALLOWED_SKEW = datetime.timedelta(minutes=5)
_UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"


def _date_problem(amz_date: str) -> str | None:
    try:
        signed_at = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.UTC
        )
    except ValueError:
        return (
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    now = datetime.datetime.now(datetime.UTC)
    if abs(now - signed_at) > _ALLOWED_SKEW:
        earliest = now - _ALLOWED_SKEW
        return f"Signature expired: {amz_date} is now earlier than {earliest:%Y%m%dT%H%M%SZ}"
    return None


def signature_problem(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    credentials: Credentials,
    region: str,
    service: str = "es",
) -> str | None:
    """None when the request carries a valid signature by `credentials`, else AWS's reason.

    `headers` have lower-case names; `body` is the body as sent (still gzipped, if it was).
    """
    match = _AUTHORIZATION.fullmatch(headers.get("authorization", ""))
    if match is None:
        action = "es:ESHttp" + method.capitalize()
        return (
            f"User: anonymous is not authorized to perform: {action} "
            f"because no resource-based policy allows the {action} action"
        )
    if match["key"] != credentials.access_key:
        return "The security token included in the request is invalid."
    if match["region"] != region:
        return f"Credential should be scoped to a valid region, not '{match['region']}'."
    if match["service"] != service:
        return f"Credential should be scoped to correct service: '{service}'."
    date_problem = _date_problem(headers.get("x-amz-date", ""))
    if date_problem is not None:
        return date_problem
    declared = headers.get("x-amz-content-sha256", _UNSIGNED_PAYLOAD)
    if declared not in (_UNSIGNED_PAYLOAD, hashlib.sha256(body).hexdigest()):
        return _MISMATCH
    signed = match["headers"].split(";")
    if any(name not in headers for name in signed):
        return _MISMATCH
    request = AWSRequest(
        method=method, url=url, data=body, headers={name: headers[name] for name in signed}
    )
    request.context["timestamp"] = headers["x-amz-date"]
    signer = SigV4Auth(credentials, service, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    return None if expected == match["signature"] else _MISMATCH
