"""Deploy phase A against AWS APIs mocked by moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ids2.aws_checks import AwsCheckError, verify_aws
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine

MACHINE = Machine(4, 8192, frozenset({"eth0"}))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def config(**opensearch: Any) -> Config:
    values = {
        "auth": "aws",
        "aws_region": "eu-west-1",
        "endpoint": "https://search-x.eu-west-1.es.amazonaws.com",
        **opensearch,
    }
    return validate_document({"shipping": {"opensearch": values}}, "test", MACHINE)


def domain_endpoint(name: str) -> str:
    client = boto3.client("opensearch", region_name="eu-west-1")
    client.create_domain(DomainName=name)
    return str(client.describe_domain(DomainName=name)["DomainStatus"]["Endpoint"])


def test_identity_alone(aws: None) -> None:
    assert verify_aws(config()).startswith("AWS identity arn:aws:")


def test_domain_found_and_endpoint_matches(aws: None) -> None:
    endpoint = domain_endpoint("sensors")
    summary = verify_aws(config(aws_domain="sensors", endpoint=f"https://{endpoint}"))
    assert summary.endswith(f"domain sensors ready at {endpoint}")


def test_endpoint_mismatch_names_both(aws: None) -> None:
    endpoint = domain_endpoint("sensors")
    with pytest.raises(AwsCheckError, match=f"domain sensors answers at {endpoint}"):
        verify_aws(config(aws_domain="sensors"))


def test_unknown_domain_suggests_region(aws: None) -> None:
    with pytest.raises(AwsCheckError, match="no OpenSearch domain 'nope' in eu-west-1"):
        verify_aws(config(aws_domain="nope"))


def test_missing_profile(aws: None) -> None:
    with pytest.raises(AwsCheckError, match="AWS profile 'nobody'"):
        verify_aws(config(aws_profile="nobody"))


def test_no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(AwsCheckError, match="no AWS credentials found"):
        verify_aws(config())


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("ExpiredToken", "have expired; renew them"),
        ("InvalidClientTokenId", "does not recognise these credentials"),
        ("AccessDenied", "access denied to this role or user"),
    ],
)
def test_aws_refusals_say_what_to_fix(code: str, words: str) -> None:
    from botocore.exceptions import ClientError

    from ids2.aws_checks import _client_error

    error = ClientError({"Error": {"Code": code, "Message": "details"}}, "GetCallerIdentity")
    assert words in str(_client_error(error, "checking"))
