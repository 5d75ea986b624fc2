"""The index template and ISM retention policy for the daily indices, installed idempotently.

The template (templates/index-template.json) maps the ECS documents ecs.vrl produces: ip
fields as `ip`, dates as `date`, identifiers as `keyword` (each with `ignore_above`, so a
huge value is kept in _source instead of refusing the document), `dynamic: false` so
unknown EVE fields never add mappings, and `ignore_malformed` so one odd value never costs
the whole event. The ISM policy (templates/ism-policy.json) deletes each index when it is
`retention_days` old and attaches itself to new indices through its `ism_template`.

Each is stamped with a hash of its content: an unchanged one is left alone, a changed one
is replaced (the policy under optimistic concurrency control, then moved onto the indices
that already exist). A template change takes effect with the next daily index.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ids2.config.load import Config
from ids2.errors import Ids2Error

ISM = "/_plugins/_ism"
_NO_PERMISSION = re.compile(r"no permissions for \[([^\]]*)\] and User \[name=([^,\]]*)")


class OpenSearchSetupError(Ids2Error):
    """OpenSearch refused the template or policy, or could not be reached."""


@dataclass
class SetupReport:
    """What install() did: 'created', 'replaced' or 'unchanged' for each, and indices moved
    onto the policy."""

    prefix: str
    template: str = ""
    policy: str = ""
    indices_attached: int = 0

    def summary(self) -> str:
        """One line for the deploy log."""
        text = (
            f"index template {template_name(self.prefix)} {self.template}; "
            f"ISM policy {policy_id(self.prefix)} {self.policy}"
        )
        if self.indices_attached:
            text += f" ({self.indices_attached} existing indices now follow it)"
        return text


def _data(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (resources.files("ids2.shipping.opensearch") / "templates" / name).read_text(
            encoding="utf-8"
        )
    )
    return loaded


def _digest(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def template_name(prefix: str) -> str:
    """The index template's name: the index prefix."""
    return prefix


def policy_id(prefix: str) -> str:
    """The ISM policy's id."""
    return f"{prefix}-retention"


def index_template(prefix: str) -> dict[str, Any]:
    """The composable index template for PREFIX-*, stamped with its content hash."""
    template = _data("index-template.json")
    template["index_patterns"] = [f"{prefix}-*"]
    template["_meta"]["ids2_digest"] = _digest(template)
    return template


def ism_policy(prefix: str, retention_days: int) -> dict[str, Any]:
    """The ISM policy body: delete PREFIX-* indices `retention_days` after creation."""
    document = _data("ism-policy.json")
    policy = document["policy"]
    policy["description"] = f"ids2: delete {prefix}-* indices {retention_days} days after creation"
    policy["states"][0]["transitions"][0]["conditions"]["min_index_age"] = f"{retention_days}d"
    policy["ism_template"][0]["index_patterns"] = [f"{prefix}-*"]
    policy["description"] += f" [ids2 {_digest(document)}]"
    return document


def _request(client: Any, method: str, path: str, **options: Any) -> Any:
    return client.transport.perform_request(method, path, **options)


def _install_template(client: Any, prefix: str, report: SetupReport) -> None:
    from opensearchpy.exceptions import NotFoundError

    wanted = index_template(prefix)
    name = template_name(prefix)
    try:
        current = _request(client, "GET", f"/_index_template/{name}")["index_templates"][0]
    except NotFoundError:
        current = None
    if current is not None:
        meta = current["index_template"].get("_meta") or {}
        if meta.get("ids2_digest") == wanted["_meta"]["ids2_digest"]:
            report.template = "unchanged"
            return
    _request(client, "PUT", f"/_index_template/{name}", body=wanted)
    report.template = "created" if current is None else "replaced"


def _attach(client: Any, action: str, prefix: str, identifier: str) -> int:
    from opensearchpy.exceptions import NotFoundError

    try:
        response = _request(
            client, "POST", f"{ISM}/{action}/{prefix}-*", body={"policy_id": identifier}
        )
    except NotFoundError:
        return 0  # no index yet
    return int(response.get("updated_indices", 0))


def _install_policy(client: Any, prefix: str, retention_days: int, report: SetupReport) -> None:
    from opensearchpy.exceptions import ConflictError, NotFoundError

    wanted = ism_policy(prefix, retention_days)
    identifier = policy_id(prefix)
    for _attempt in range(2):
        try:
            current = _request(client, "GET", f"{ISM}/policies/{identifier}")
        except NotFoundError:
            current = None
        if current is not None:
            if current["policy"].get("description") == wanted["policy"]["description"]:
                report.policy = "unchanged"
                return
            guard = {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
        else:
            guard = {}
        try:
            _request(
                client,
                "PUT",
                f"{ISM}/policies/{identifier}",
                body=wanted,
                params=guard,
            )
        except ConflictError:
            continue  # changed or created meanwhile: read it again
        break
    else:
        raise OpenSearchSetupError(
            f"ISM policy {identifier} keeps changing under ids2; is another deploy running?"
        )
    report.policy = "created" if current is None else "replaced"
    report.indices_attached = _attach(client, "add", prefix, identifier)
    if current is not None:
        report.indices_attached += _attach(client, "change_policy", prefix, identifier)


def install(client: Any, prefix: str, retention_days: int) -> SetupReport:
    """Install or update the template and the ISM policy; safe to run at every deploy.

    Raises opensearch-py's exceptions; `prepare` explains them.
    """
    report = SetupReport(prefix)
    _install_template(client, prefix, report)
    _install_policy(client, prefix, retention_days, report)
    return report


def prepare(client: Any, config: Config) -> str:
    """Deploy step: the template and policy for shipping.opensearch, summarised in a line.

    Raises OpenSearchSetupError saying what to fix when OpenSearch refuses or is unreachable.
    """
    from opensearchpy.exceptions import OpenSearchException

    opensearch = config["shipping"]["opensearch"]
    try:
        report = install(client, opensearch["index_prefix"], opensearch["retention_days"])
    except OpenSearchException as error:
        raise explain(error, config, "installing the index template and ISM policy") from None
    return report.summary()


def explain(error: Exception, config: Config, action: str) -> OpenSearchSetupError:
    """A specific, actionable error for a refusal or failure of opensearch-py."""
    opensearch = config["shipping"]["opensearch"]
    status = getattr(error, "status_code", None)
    if not isinstance(status, int):  # opensearch-py says "N/A" when nothing answered
        return OpenSearchSetupError(f"{action}: cannot reach {opensearch['endpoint']}: {error}")
    details = json.dumps(getattr(error, "info", None) or str(error), default=str)
    auth = opensearch["auth"]
    if status == 401:
        fixes = {
            "basic": "check opensearch_username and opensearch_password in "
            + config["shipping"]["secrets_file"],
            "aws": "the domain does not accept SigV4 for this identity (is IAM auth enabled?)",
            "none": "the endpoint wants credentials: set shipping.opensearch.auth",
        }
        return OpenSearchSetupError(f"{action}: 401 Unauthorized: {fixes[auth]}")
    if status == 403:
        return OpenSearchSetupError(f"{action}: 403 Forbidden: {_forbidden(details, opensearch)}")
    return OpenSearchSetupError(f"{action}: HTTP {status}: {details[:300]}")


def _forbidden(details: str, opensearch: dict[str, Any]) -> str:
    if "scoped to a valid region" in details:
        region = opensearch["aws_region"] or "the profile's region"
        return (
            f"requests are signed for {region}, which is not the domain's region: "
            "set shipping.opensearch.aws_region to the region in the endpoint"
        )
    if "security token included in the request is expired" in details:
        return "the AWS credentials have expired; renew them"
    if "security token included in the request is invalid" in details:
        return "AWS does not recognise these credentials"
    permission = _NO_PERMISSION.search(details)
    if permission:
        return (
            f"fine-grained access control refuses {permission.group(2)} the permission "
            f"{permission.group(1)}: map it (OpenSearch Dashboards, Security, Roles, Mapped "
            "users) to a role that may manage index templates and ISM policies and write "
            f"{opensearch['index_prefix']}-*"
        )
    if "not authorized to perform" in details:
        return (
            "the domain's access policy does not allow this identity; allow es:ESHttp* "
            f"for it on the domain ({details[:200]})"
        )
    return details[:300]
