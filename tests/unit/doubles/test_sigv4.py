"""The SigV4 verifier the front uses in place of AWS: it accepts botocore's own signature
and refuses what AWS refuses, with AWS's reason."""

from __future__ import annotations

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.doubles.sigv4 import signature_problem
from tests.opensearch.front import TEST_CREDENTIALS, TEST_REGION

URL = "https://localhost:9200/ids2-logs-*/_search?ignore_unavailable=true"
BODY = b'{"query": {"terms": {"ids2.canary_id": ["x"]}}}'


def signed(credentials: Credentials = TEST_CREDENTIALS, region: str = TEST_REGION) -> AWSRequest:
    request = AWSRequest("POST", URL, data=BODY, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, "es", region).add_auth(request)
    return request


def problem(request: AWSRequest, body: bytes = BODY) -> str | None:
    headers = {name.lower(): value for name, value in request.headers.items()}
    headers["host"] = "localhost:9200"
    return signature_problem("POST", URL, headers, body, TEST_CREDENTIALS, TEST_REGION)


def test_a_signature_by_the_test_credentials_passes() -> None:
    assert problem(signed()) is None


def test_what_aws_refuses_is_refused_with_its_reason() -> None:
    assert "signature we calculated" in str(problem(signed(), BODY.replace(b"x", b"y")))
    wrong_secret = Credentials(TEST_CREDENTIALS.access_key, "not-the-secret")
    assert "signature we calculated" in str(problem(signed(wrong_secret)))
    assert "valid region, not 'us-east-1'" in str(problem(signed(region="us-east-1")))
    somebody = Credentials("AKIDSOMEBODYELSE", TEST_CREDENTIALS.secret_key)
    assert "security token included in the request is invalid" in str(problem(signed(somebody)))
    unsigned = AWSRequest("POST", URL, data=BODY)
    assert "anonymous is not authorized" in str(problem(unsigned))
