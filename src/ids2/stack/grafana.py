"""Grafana's OpenSearch datasource, provisioned when events go to OpenSearch.

grafana-opensearch.yml is a datasource provisioning file that compose mounts beside the
static Prometheus one: the OpenSearch datasource (plugin grafana-opensearch-datasource,
installed by Grafana at start from GF_INSTALL_PLUGINS at a pinned version) on the daily
indices, signed with SigV4 or with basic auth; without an endpoint, it deletes that
datasource, so none is left behind once OpenSearch is no longer configured. The file
holds no secret: the basic-auth password reaches Grafana's `secureJsonData` through
${IDS2_OPENSEARCH_PASSWORD}, which Grafana expands from its environment, set from the
secrets file by grafana.env (root only). The CA bundle is read from the copy mounted
into the container, and AWS credentials from the AWS directory mounted there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ids2.common.aws_endpoint import endpoint_region
from ids2.common.env_files import env_safe
from ids2.config.load import Config, load_secrets
from ids2.errors import ConfigError

PLUGIN = "grafana-opensearch-datasource"
PLUGIN_VERSION = "2.32.4"
# The OpenSearch version the datasource assumes for its queries: the one ids2 is tested on.
OPENSEARCH_VERSION = "2.19.0"
DATASOURCE_FILE = "grafana-opensearch.yml"
DATASOURCE_NAME = "OpenSearch"
DATASOURCE_UID = "ids2-opensearch"
PASSWORD_VARIABLE = "IDS2_OPENSEARCH_PASSWORD"
CA_IN_CONTAINER = "/etc/grafana/ids2-ca-bundle.pem"
AWS_IN_CONTAINER = "/etc/grafana/aws"
HEADER = "# Rendered by ids2 from /etc/ids2/config.yaml; edit that file, not this one.\n"


def _auth(config: Config) -> dict[str, Any]:
    """The datasource's fields for the configured auth mode."""
    opensearch = config["shipping"]["opensearch"]
    if opensearch["auth"] == "aws":
        # "default" lets Grafana's AWS SDK take the region from the profile, as Vector does.
        region = opensearch["aws_region"] or endpoint_region(opensearch["endpoint"]) or "default"
        signing: dict[str, Any] = {"sigV4Auth": True, "sigV4Region": region}
        if opensearch["aws_profile"]:
            signing |= {"sigV4AuthType": "credentials", "sigV4Profile": opensearch["aws_profile"]}
        else:
            signing["sigV4AuthType"] = "default"
        return {"jsonData": signing}
    if opensearch["auth"] == "basic":
        source = config["shipping"]["secrets_file"]
        user = load_secrets(Path(source))["opensearch_username"]
        if not user:
            raise ConfigError(
                source, ["at 'opensearch_username': expected the user for auth basic, got ''"]
            )
        return {
            "basicAuth": True,
            "basicAuthUser": user,
            "secureJsonData": {"basicAuthPassword": f"${{{PASSWORD_VARIABLE}}}"},
        }
    return {}


def datasource(config: Config) -> dict[str, Any]:
    """The OpenSearch datasource as Grafana's provisioning takes it."""
    opensearch = config["shipping"]["opensearch"]
    auth = _auth(config)
    json_data: dict[str, Any] = {
        "flavor": "opensearch",
        "version": OPENSEARCH_VERSION,
        "timeField": "@timestamp",
        "database": f"{opensearch['index_prefix']}-*",
        "maxConcurrentShardRequests": 5,
        "tlsSkipVerify": not opensearch["verify_tls"],
        **auth.pop("jsonData", {}),
    }
    secure: dict[str, str] = auth.pop("secureJsonData", {})
    if opensearch["ca_bundle"]:
        json_data["tlsAuthWithCACert"] = True
        secure["tlsCACert"] = f"$__file{{{CA_IN_CONTAINER}}}"
    source: dict[str, Any] = {
        "name": DATASOURCE_NAME,
        "uid": DATASOURCE_UID,
        "type": PLUGIN,
        "access": "proxy",
        "url": opensearch["endpoint"],
        "editable": False,
        **auth,
        "jsonData": json_data,
    }
    if secure:
        source["secureJsonData"] = secure
    return source


def datasource_file(config: Config) -> str:
    """grafana-opensearch.yml: the datasource, or its deletion when there is no endpoint."""
    if not config["shipping"]["opensearch"]["endpoint"]:
        document: dict[str, Any] = {
            "apiVersion": 1,
            "deleteDatasources": [{"name": DATASOURCE_NAME, "orgId": 1}],
            "datasources": [],
        }
    else:
        document = {"apiVersion": 1, "datasources": [datasource(config)]}
    return HEADER + yaml.safe_dump(document, sort_keys=False)


def environment(config: Config) -> dict[str, str]:
    """What grafana.env adds for the datasource: the plugin, SigV4 switched on and where the
    AWS files are, the basic-auth password."""
    opensearch = config["shipping"]["opensearch"]
    if not opensearch["endpoint"]:
        return {}
    values = {"GF_INSTALL_PLUGINS": f"{PLUGIN} {PLUGIN_VERSION}"}
    if opensearch["auth"] == "aws":
        values |= {
            "GF_AUTH_SIGV4_AUTH_ENABLED": "true",
            "AWS_CONFIG_FILE": f"{AWS_IN_CONTAINER}/config",
            "AWS_SHARED_CREDENTIALS_FILE": f"{AWS_IN_CONTAINER}/credentials",
        }
    elif opensearch["auth"] == "basic":
        source = config["shipping"]["secrets_file"]
        password = load_secrets(Path(source))["opensearch_password"]
        values[PASSWORD_VARIABLE] = env_safe(password, "opensearch_password", source)
    return values
