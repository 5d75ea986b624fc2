"""OpenSearch preparation: the index template for the daily indices and the ISM policy
that deletes them after the retention period. Installed idempotently at deploy time.

The mapping is explicit for every ECS field ecs.vrl produces (ip fields as `ip`, dates
as `date`, identifiers as `keyword`) and the root is `dynamic: false`: fields nobody
mapped stay in _source without growing the mapping. The original EVE object is kept
under suricata.eve but not indexed, which is what keeps Suricata's hundreds of
protocol fields from exploding the mapping.
"""

from __future__ import annotations

from typing import Any

from ids2.config.load import Config

KEYWORD = {"type": "keyword", "ignore_above": 1024}
LONG = {"type": "long"}
DATE = {"type": "date"}
IP = {"type": "ip"}


def _endpoint() -> dict[str, Any]:
    return {
        "properties": {
            "ip": IP,
            "address": KEYWORD,
            "port": LONG,
            "bytes": LONG,
            "packets": LONG,
            "domain": KEYWORD,
            "mac": KEYWORD,
        }
    }


def _keywords(*names: str) -> dict[str, Any]:
    return {"properties": {name: KEYWORD for name in names}}


def _x509_names() -> dict[str, Any]:
    return _keywords(
        "common_name",
        "country",
        "organization",
        "organizational_unit",
        "state_or_province",
        "locality",
    )


MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "@timestamp": DATE,
        "message": {"type": "text"},
        "tags": KEYWORD,
        "ecs": _keywords("version"),
        "event": {
            "properties": {
                **_keywords("kind", "module", "dataset", "action")["properties"],
                "category": KEYWORD,
                "type": KEYWORD,
                "severity": LONG,
                "start": DATE,
                "end": DATE,
                "duration": LONG,
                "original": {"type": "keyword", "index": False, "doc_values": False},
            }
        },
        "source": _endpoint(),
        "destination": _endpoint(),
        "network": {
            "properties": {
                **_keywords("transport", "protocol", "community_id", "direction")["properties"],
                "bytes": LONG,
                "packets": LONG,
            }
        },
        "observer": {
            "properties": {
                **_keywords("product", "type", "vendor", "hostname")["properties"],
                "ingress": {"properties": {"interface": _keywords("name")}},
            }
        },
        "rule": _keywords("id", "name", "category", "ruleset", "version"),
        "related": {"properties": {"ip": IP, "hosts": KEYWORD, "hash": KEYWORD}},
        "url": _keywords("original", "domain", "path", "query"),
        "http": {
            "properties": {
                "version": KEYWORD,
                "request": {"properties": {"method": KEYWORD, "referrer": KEYWORD}},
                "response": {
                    "properties": {
                        "status_code": LONG,
                        "mime_type": KEYWORD,
                        "body": {"properties": {"bytes": LONG}},
                    }
                },
            }
        },
        "user_agent": {
            "properties": {
                **_keywords("original", "name", "version")["properties"],
                "device": _keywords("name"),
                "os": _keywords("name", "version", "full"),
            }
        },
        "dns": {
            "properties": {
                **_keywords("id", "type", "response_code", "header_flags")["properties"],
                "question": _keywords(
                    "name", "type", "registered_domain", "subdomain", "top_level_domain"
                ),
                "answers": {
                    "properties": {"name": KEYWORD, "type": KEYWORD, "data": KEYWORD, "ttl": LONG}
                },
                "resolved_ip": IP,
            }
        },
        "tls": {
            "properties": {
                "version": KEYWORD,
                "version_protocol": KEYWORD,
                "client": _keywords("server_name", "ja3"),
                "server": {
                    "properties": {
                        **_keywords("subject", "issuer", "ja3s")["properties"],
                        "not_before": DATE,
                        "not_after": DATE,
                        "hash": _keywords("sha1"),
                        "x509": {
                            "properties": {
                                "serial_number": KEYWORD,
                                "not_before": DATE,
                                "not_after": DATE,
                                "subject": _x509_names(),
                                "issuer": _x509_names(),
                            }
                        },
                    }
                },
            }
        },
        "file": {
            "properties": {
                "path": KEYWORD,
                "name": KEYWORD,
                "size": LONG,
                "mime_type": KEYWORD,
                "hash": _keywords("md5", "sha1", "sha256"),
            }
        },
        "ids2": _keywords("doc_id", "canary_id", "dead_letter_reason"),
        "suricata": {"properties": {"eve": {"type": "object", "enabled": False}}},
    },
}


def index_template(config: Config) -> dict[str, Any]:
    """The composable index template for PREFIX-*."""
    prefix = config["shipping"]["opensearch"]["index_prefix"]
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 200,
        "template": {
            "settings": {
                "index": {
                    "number_of_shards": 1,
                    "refresh_interval": "1s",
                    "mapping": {"total_fields": {"limit": 2000}},
                }
            },
            "mappings": MAPPINGS,
        },
        "_meta": {"managed_by": "ids2"},
    }


def retention_policy(config: Config) -> dict[str, Any]:
    """The ISM policy: delete indices older than shipping.opensearch.retention_days."""
    opensearch = config["shipping"]["opensearch"]
    days = opensearch["retention_days"]
    return {
        "policy": {
            "description": f"ids2: delete {opensearch['index_prefix']}-* after {days} days",
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [
                        {"state_name": "delete", "conditions": {"min_index_age": f"{days}d"}}
                    ],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [
                {"index_patterns": [f"{opensearch['index_prefix']}-*"], "priority": 100}
            ],
        }
    }


def _same_policy(current: dict[str, Any], wanted: dict[str, Any]) -> bool:
    keys = ("description", "default_state", "states", "ism_template")
    current_policy = current.get("policy", {})
    return all(_strip(current_policy.get(key)) == _strip(wanted["policy"][key]) for key in keys)


def _strip(value: Any) -> Any:
    """OpenSearch adds bookkeeping (last_updated_time, retry, ...) to what it stores."""
    if isinstance(value, dict):
        return {
            k: _strip(v)
            for k, v in value.items()
            if k not in ("last_updated_time", "retry", "schema_version")
        }
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value


def prepare(client: Any, config: Config) -> str:
    """Install or update the template and the policy; say what changed."""
    from opensearchpy.exceptions import NotFoundError

    prefix = config["shipping"]["opensearch"]["index_prefix"]
    client.transport.perform_request(
        "PUT", f"/_index_template/{prefix}", body=index_template(config)
    )
    policy_id = f"{prefix}-retention"
    path = f"/_plugins/_ism/policies/{policy_id}"
    wanted = retention_policy(config)
    try:
        current = client.transport.perform_request("GET", path)
    except NotFoundError:
        client.transport.perform_request("PUT", path, body=wanted)
        return f"template {prefix} installed; policy {policy_id} created"
    if _same_policy(current, wanted):
        return f"template {prefix} installed; policy {policy_id} unchanged"
    client.transport.perform_request(
        "PUT",
        path,
        body=wanted,
        params={"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]},
    )
    return f"template {prefix} installed; policy {policy_id} updated"
