"""Deploy phase A against AWS APIs mocked by moto."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ids2.common.aws_endpoint import endpoint_region
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.shipping.opensearch.aws import AwsCheckError, verify_aws

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

    from ids2.shipping.opensearch.aws import _client_error

    error = ClientError({"Error": {"Code": code, "Message": "details"}}, "GetCallerIdentity")
    assert words in str(_client_error(error, "checking"))


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [
        ("https://search-x-abc.eu-west-1.es.amazonaws.com", "eu-west-1"),
        ("https://vpc-x-abc.us-gov-west-1.es.amazonaws.com:443/", "us-gov-west-1"),
        ("https://logs.example.org", None),
        ("https://es.amazonaws.com.example.org", None),
    ],
)
def test_endpoint_region(endpoint: str, region: str | None) -> None:
    assert endpoint_region(endpoint) == region


def test_a_region_that_is_not_the_endpoints_is_named_before_any_call(aws: None) -> None:
    with pytest.raises(AwsCheckError, match="aws_region is us-east-1, but the endpoint is in eu"):
        verify_aws(config(aws_region="us-east-1"))


def test_the_endpoint_names_the_region_when_the_config_does_not(aws: None) -> None:
    assert verify_aws(config(aws_region="")).endswith("in eu-west-1")


def test_an_unreachable_sts_suggests_the_region(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import EndpointConnectionError

    def unreachable(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise EndpointConnectionError(endpoint_url="https://sts.eu-west-1.amazonaws.com")

    monkeypatch.setattr("botocore.client.BaseClient._make_api_call", unreachable)
    with pytest.raises(AwsCheckError, match="cannot reach AWS STS in eu-west-1"):
        verify_aws(config())


def test_fine_grained_access_control_is_pointed_out(aws: None) -> None:
    client = boto3.client("opensearch", region_name="eu-west-1")
    client.create_domain(
        DomainName="guarded",
        AdvancedSecurityOptions={"Enabled": True, "InternalUserDatabaseEnabled": False},
    )
    endpoint = client.describe_domain(DomainName="guarded")["DomainStatus"]["Endpoint"]
    summary = verify_aws(config(aws_domain="guarded", endpoint=f"https://{endpoint}"))
    assert "fine-grained access control is on: arn:aws:" in summary
    assert "must be mapped to an OpenSearch role" in summary


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ({"Deleted": True}, "domain sensors is being deleted"),
        ({"Processing": True}, "domain sensors is processing a configuration change"),
    ],
)
def test_a_domain_in_flux_is_refused(
    aws: None, monkeypatch: pytest.MonkeyPatch, status: dict[str, Any], words: str
) -> None:
    def answer(self: Any, operation: str, parameters: Any) -> Any:
        if operation == "GetCallerIdentity":
            return {"Arn": "arn:aws:iam::1:role/sensor", "Account": "1", "UserId": "x"}
        return {"DomainStatus": {"Endpoint": "search-x.eu-west-1.es.amazonaws.com", **status}}

    monkeypatch.setattr("botocore.client.BaseClient._make_api_call", answer)
    with pytest.raises(AwsCheckError, match=words):
        verify_aws(config(aws_domain="sensors"))
