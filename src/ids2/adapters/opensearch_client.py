"""An opensearch-py client for the configured endpoint: SigV4, basic auth or none.

AWS credentials come from boto3's chain (the configured profile, the environment, the
instance). opensearch-py and boto3 are imported here only, when a client is made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ids2.config.load import Config, load_secrets
from ids2.errors import Ids2Error
from ids2.logsetup import redact

AWS_SERVICE = "es"


class OpenSearchAuthError(Ids2Error):
    """No usable credentials for the configured auth mode."""


def aws_auth(opensearch: dict[str, Any]) -> Any:
    """A SigV4 signer from the boto3 credential chain, for the configured region."""
    import boto3
    import botocore.exceptions
    from opensearchpy import Urllib3AWSV4SignerAuth

    try:
        session = boto3.Session(profile_name=opensearch["aws_profile"] or None)
    except botocore.exceptions.ProfileNotFound:
        raise OpenSearchAuthError(
            f"AWS profile {opensearch['aws_profile']!r} (shipping.opensearch.aws_profile) "
            "is not in the AWS config"
        ) from None
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
    return Urllib3AWSV4SignerAuth(credentials, region, AWS_SERVICE)


def basic_auth(config: Config) -> tuple[str, str]:
    """User and password from the root-only secrets file."""
    secrets = load_secrets(Path(config["shipping"]["secrets_file"]))
    if not secrets["opensearch_username"] or not secrets["opensearch_password"]:
        raise OpenSearchAuthError(
            f"auth basic needs opensearch_username and opensearch_password in "
            f"{config['shipping']['secrets_file']}"
        )
    redact(secrets["opensearch_password"])
    return secrets["opensearch_username"], secrets["opensearch_password"]


def make_client(config: Config, timeout: float) -> Any:
    """A client for shipping.opensearch; raises OpenSearchAuthError without credentials.

    It uses opensearch-py's urllib3 transport: the requests one lets $REQUESTS_CA_BUNDLE
    override the configured CA bundle.
    """
    from opensearchpy import OpenSearch

    opensearch = config["shipping"]["opensearch"]
    parts = urlsplit(opensearch["endpoint"])
    https = parts.scheme == "https"
    options: dict[str, Any] = {
        "hosts": [
            {
                "host": parts.hostname,
                "port": parts.port or (443 if https else 80),
                "url_prefix": parts.path.rstrip("/"),
            }
        ],
        "use_ssl": https,
        "verify_certs": opensearch["verify_tls"],
        "ssl_show_warn": False,
        "timeout": timeout,
        "max_retries": 0,
    }
    if https and opensearch["ca_bundle"]:
        options["ca_certs"] = opensearch["ca_bundle"]
    if opensearch["auth"] == "aws":
        options["http_auth"] = aws_auth(opensearch)
    elif opensearch["auth"] == "basic":
        options["http_auth"] = basic_auth(config)
    return OpenSearch(**options)
