"""An opensearch-py client for the configured endpoint: SigV4, basic auth or none.

For the one-shot commands (deploy, spool replay); opensearch-py and boto3 are imported
only when a client is made. The long-running controllers use opensearch_http instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ids2.config.load import Config
from ids2.shipping.opensearch.auth import AWS_SERVICE, aws_credentials, basic_credentials


def aws_auth(opensearch: dict[str, Any]) -> Any:
    """opensearch-py's SigV4 signer for the credential chain's credentials."""
    from opensearchpy import Urllib3AWSV4SignerAuth

    credentials, region = aws_credentials(opensearch)
    return Urllib3AWSV4SignerAuth(credentials, region, AWS_SERVICE)


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
        options["http_auth"] = basic_credentials(config)
    return OpenSearch(**options)
