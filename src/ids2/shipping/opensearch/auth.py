"""Credentials for the configured OpenSearch auth mode, shared by both clients.

AWS credentials come from boto3's chain (the configured profile, the environment, the
instance); boto3 is imported only when the mode is `aws`.
"""

from __future__ import annotations

from pathlib import Path

from ids2 import TYPE_CHECKING
from ids2.config.values import Config
from ids2.errors import Ids2Error
from ids2.logsetup import redact

if TYPE_CHECKING:
    from typing import Any

AWS_SERVICE = "es"


class OpenSearchAuthError(Ids2Error):
    """No usable credentials for the configured auth mode."""


def aws_session(opensearch: dict[str, Any], error: type[Ids2Error] = OpenSearchAuthError) -> Any:
    """A boto3 session for the configured profile (none: the environment, the instance);
    `error` names an unknown profile, so each caller raises its own kind."""
    import boto3
    import botocore.exceptions

    try:
        return boto3.Session(profile_name=opensearch["aws_profile"] or None)
    except botocore.exceptions.ProfileNotFound:
        raise error(
            f"AWS profile {opensearch['aws_profile']!r} (shipping.opensearch.aws_profile) "
            "is not in the AWS config"
        ) from None


def aws_credentials(opensearch: dict[str, Any]) -> tuple[Any, str]:
    """botocore credentials (refreshed by botocore when they expire) and the region."""
    session = aws_session(opensearch)
    credentials = session.get_credentials()
    if credentials is None:
        raise OpenSearchAuthError(
            "no AWS credentials: set shipping.opensearch.aws_profile or the environment"
        )
    region = opensearch["aws_region"] or session.region_name
    if not region:
        raise OpenSearchAuthError(
            "no AWS region: set shipping.opensearch.aws_region or the profile's region"
        )
    return credentials, region


def basic_credentials(config: Config) -> tuple[str, str]:
    """User and password from the root-only secrets file."""
    # Imported here: only basic auth reads the secrets, and the validator stays out of the
    # controllers otherwise (see ids2.config.isolated).
    from ids2.config.load import load_secrets

    secrets = load_secrets(Path(config["shipping"]["secrets_file"]))
    if not secrets["opensearch_username"] or not secrets["opensearch_password"]:
        raise OpenSearchAuthError(
            f"auth basic needs opensearch_username and opensearch_password in "
            f"{config['shipping']['secrets_file']}"
        )
    redact(secrets["opensearch_password"])
    return secrets["opensearch_username"], secrets["opensearch_password"]
