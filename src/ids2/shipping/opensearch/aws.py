"""Deploy phase A for AWS: the credentials work, the domain exists, the endpoint matches.

Each failure names the fix: a missing profile, expired or refused credentials, a region
that is not the endpoint's or does not exist, an unknown or deleted domain, a domain busy
with a change, an endpoint that is not the domain's. Refusals by OpenSearch itself
(fine-grained access control) are explained where requests are made (opensearch_setup).
boto3 is imported here only, when a check runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ids2.common.aws_endpoint import endpoint_region
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


def _region(opensearch: dict[str, Any], session: Any) -> str:
    named = endpoint_region(opensearch["endpoint"])
    configured = opensearch["aws_region"]
    if configured and named and configured != named:
        raise AwsCheckError(
            f"shipping.opensearch.aws_region is {configured}, but the endpoint is in {named}: "
            "requests would be signed for the wrong region"
        )
    region = configured or named or session.region_name
    if not region:
        raise AwsCheckError("no AWS region: set shipping.opensearch.aws_region")
    return str(region)


def _identity(session: Any, region: str) -> dict[str, Any]:
    import botocore.exceptions as aws_errors

    try:
        identity: dict[str, Any] = session.client("sts", region_name=region).get_caller_identity()
    except aws_errors.NoCredentialsError:
        raise AwsCheckError("no AWS credentials found (profile, environment or instance)") from None
    except aws_errors.EndpointConnectionError:
        raise AwsCheckError(
            f"cannot reach AWS STS in {region}: is shipping.opensearch.aws_region a region "
            "enabled for this account, and is the network up?"
        ) from None
    except aws_errors.ClientError as error:
        raise _client_error(error, "checking the AWS identity") from None
    return identity


def _domain_status(session: Any, region: str, domain: str) -> dict[str, Any]:
    import botocore.exceptions as aws_errors

    try:
        status: dict[str, Any] = session.client("opensearch", region_name=region).describe_domain(
            DomainName=domain
        )["DomainStatus"]
    except aws_errors.ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise AwsCheckError(
                f"no OpenSearch domain {domain!r} in {region} "
                "(shipping.opensearch.aws_domain or aws_region wrong?)"
            ) from None
        raise _client_error(error, f"describing the domain {domain}") from None
    if status.get("Deleted"):
        raise AwsCheckError(f"domain {domain} is being deleted (shipping.opensearch.aws_domain)")
    if status.get("Processing"):
        raise AwsCheckError(
            f"domain {domain} is processing a configuration change; deploy again when it is done"
        )
    return status


def verify_aws(config: Config) -> str:
    """Check identity (STS) and, when configured, the OpenSearch Service domain.

    Returns a one-line summary; raises AwsCheckError saying what to fix.
    """
    from ids2.shipping.opensearch.auth import aws_session

    opensearch = config["shipping"]["opensearch"]
    session = aws_session(opensearch, AwsCheckError)
    region = _region(opensearch, session)
    identity = _identity(session, region)
    summary = f"AWS identity {identity['Arn']} in {region}"
    domain = opensearch["aws_domain"]
    if not domain:
        return summary
    status = _domain_status(session, region, domain)
    endpoints = {status.get("Endpoint"), *(status.get("Endpoints") or {}).values()} - {None}
    configured = urlsplit(opensearch["endpoint"]).hostname
    if configured not in endpoints:
        raise AwsCheckError(
            f"shipping.opensearch.endpoint is {configured!r}, but domain "
            f"{domain} answers at {', '.join(sorted(endpoints)) or 'no endpoint'}"
        )
    summary += f"; domain {domain} ready at {configured}"
    if (status.get("AdvancedSecurityOptions") or {}).get("Enabled"):
        summary += (
            f"; fine-grained access control is on: {identity['Arn']} must be mapped to an "
            "OpenSearch role that may write the daily indices and manage templates and ISM"
        )
    return summary
