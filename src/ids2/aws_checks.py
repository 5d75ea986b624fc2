"""Deploy phase A for AWS: the credentials work, the domain exists, the endpoint matches.

Each failure names the fix: a missing profile, expired or refused credentials, a wrong
region, an unknown domain, a domain busy with a change, an endpoint that is not the
domain's. boto3 is imported here only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ids2.config.load import Config
from ids2.errors import Ids2Error


class AwsCheckError(Ids2Error):
    """AWS refused or the configuration does not match the domain."""


def _client_error(error: Any, action: str) -> AwsCheckError:
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
        return AwsCheckError(f"{action}: the AWS credentials have expired; renew them")
    if code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"):
        return AwsCheckError(f"{action}: AWS does not recognise these credentials ({code})")
    if code in ("AccessDenied", "AccessDeniedException"):
        return AwsCheckError(f"{action}: access denied to this role or user: {message}")
    return AwsCheckError(f"{action}: {code}: {message}")


def verify_aws(config: Config) -> str:
    """Check identity (STS) and, when configured, the OpenSearch Service domain."""
    import boto3
    import botocore.exceptions as aws_errors

    opensearch = config["shipping"]["opensearch"]
    try:
        session = boto3.Session(profile_name=opensearch["aws_profile"] or None)
    except aws_errors.ProfileNotFound:
        raise AwsCheckError(
            f"AWS profile {opensearch['aws_profile']!r} "
            "(shipping.opensearch.aws_profile) is not configured"
        ) from None
    region = opensearch["aws_region"] or session.region_name
    if not region:
        raise AwsCheckError("no AWS region: set shipping.opensearch.aws_region")
    try:
        identity = session.client("sts", region_name=region).get_caller_identity()
    except aws_errors.NoCredentialsError:
        raise AwsCheckError("no AWS credentials found (profile, environment or instance)") from None
    except aws_errors.ClientError as error:
        raise _client_error(error, "checking the AWS identity") from None
    summary = f"AWS identity {identity['Arn']} in {region}"
    domain = opensearch["aws_domain"]
    if not domain:
        return summary
    try:
        status = session.client("opensearch", region_name=region).describe_domain(
            DomainName=domain
        )["DomainStatus"]
    except aws_errors.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise AwsCheckError(
                f"no OpenSearch domain {domain!r} in {region} "
                "(shipping.opensearch.aws_domain or aws_region wrong?)"
            ) from None
        raise _client_error(error, f"describing the domain {domain}") from None
    if status.get("Processing"):
        raise AwsCheckError(
            f"domain {domain} is processing a configuration change; deploy again when it is done"
        )
    endpoints = {status.get("Endpoint"), *(status.get("Endpoints") or {}).values()} - {None}
    configured = urlsplit(opensearch["endpoint"]).hostname
    if configured not in endpoints:
        raise AwsCheckError(
            f"shipping.opensearch.endpoint is {configured!r}, but domain "
            f"{domain} answers at {', '.join(sorted(endpoints)) or 'no endpoint'}"
        )
    return f"{summary}; domain {domain} ready at {configured}"
