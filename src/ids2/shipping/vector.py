"""vector.toml for the stack's Vector, and vector.env (0600) with its credentials.

Topology (docs/shipping.md explains each choice, the Redis spill-over and its limits):

    eve, canary, imports (file sources on the RAM disk) -> ecs (ecs.vrl) -> split (route)
    split.dead_letter, ecs.dropped, redis_restore.dropped -> dead_letter (spool directory)
    endpoint and Redis: split.events -> redis_spill (RPUSH) ~ Redis list ~ redis_drain (BLPOP)
                        -> redis_restore -> events (OpenSearch, disk buffer that blocks)
    endpoint, no Redis: split.events -> events (OpenSearch)
    no endpoint:        split.events (and what Redis still holds) -> spool_lean (unless
                        spool.keep_raw) -> events (daily NDJSON)
    vector_metrics (internal_metrics) -> prometheus (prometheus_exporter)

Every path is the container's; the volume mounts that provide them are in docs/shipping.md.
The sink that ships events is always named `events`: alert rules and dashboards use the id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ids2.common.aws_endpoint import endpoint_region
from ids2.common.env_files import env_safe
from ids2.common.rendered import RenderedFile
from ids2.common.sizes import MIB
from ids2.config.load import Config, load_secrets
from ids2.shipping.imports import IMPORT_DIRECTORY
from ids2.shipping.vector_check import (
    CONTAINER_VRL_DIR,
    EnvironmentReference,
    check_structure,
    to_toml,
)

CONTAINER_RAMDISK = "/mnt/ram_logs"
CONTAINER_DATA_DIR = "/var/lib/vector"
CONTAINER_SPOOL = "/var/lib/ids2/spool"
CONTAINER_CA_BUNDLE = "/etc/vector/ca-bundle.pem"
REDIS_URL = "redis://redis:6379/0"
METRICS_ADDRESS = "0.0.0.0:9598"  # published on the host's 127.0.0.1 only
API_ADDRESS = "0.0.0.0:8686"  # likewise; the compose health check asks /health
MIN_DISK_BUFFER_BYTES = 268_435_488  # Vector refuses smaller disk buffers
# A Suricata EVE file is deleted once it has been idle this much longer than the rotation
# interval: Suricata opens a new file before its first write after an interval has passed,
# so by then it can no longer be writing to the one deleted.
REMOVE_AFTER_MARGIN_SECONDS = 30
# The verify controller opens the canary file for each line it appends, so it may go soon.
CANARY_REMOVE_AFTER_SECONDS = 5
# ids2 import-pcap renames each file into place whole: once read to the end, it is done.
IMPORT_REMOVE_AFTER_SECONDS = 5
REDIS_BATCH_TIMEOUT_SECONDS = 0.1
# Events come back from Redis as plain JSON: drop what the redis source adds, and make
# @timestamp a timestamp again, so the daily index is the event's day and not today's
# (Vector names indices from a timestamp value, never from a string).
RESTORE_VRL = """\
del(.source_type)
."@timestamp" = parse_timestamp!(string!(."@timestamp"), "%+")
"""
# The spool is on the SD card: without shipping.spool.keep_raw, each document goes there
# without its second and third copy of the event (the EVE line and the EVE object).
LEAN_VRL = """\
del(.event.original)
del(.suricata.eve)
if .suricata == {} { del(.suricata) }
"""


# Characters that cannot pass unchanged through compose's env_file and Vector's textual
# ${VARIABLE} interpolation into a TOML string.
def redis_in_use(config: Config) -> bool:
    """Redis is in the path when shipping wants it and the stack runs it."""
    return bool(config["shipping"]["redis"]["enabled"] and config["stack"]["redis"]["enabled"])


def _sources(config: Config) -> dict[str, Any]:
    rotate = config["ramdisk"]["rotate_interval_seconds"]
    common = {
        "type": "file",
        "read_from": "beginning",
        "max_line_bytes": 4 * MIB,
        "glob_minimum_cooldown_ms": 500,
        # Checksum of the first line, not device and inode: the RAM disk starts afresh at
        # each boot and reuses inode numbers that the persistent checkpoints remember.
        "fingerprint": {"strategy": "checksum", "lines": 1},
    }
    sources: dict[str, Any] = {
        "eve": {
            **common,
            # Suricata's eve-*.json only: its alerts.json.* repeat alerts already in them.
            "include": [f"{CONTAINER_RAMDISK}/eve-*.json"],
            "oldest_first": True,
            "remove_after_secs": rotate + REMOVE_AFTER_MARGIN_SECONDS,
        },
        "canary": {
            **common,
            "include": [f"{CONTAINER_RAMDISK}/canary/*.json"],
            "remove_after_secs": CANARY_REMOVE_AFTER_SECONDS,
        },
        "imports": {
            **common,
            "include": [f"{CONTAINER_RAMDISK}/{IMPORT_DIRECTORY}/*.json"],
            "remove_after_secs": IMPORT_REMOVE_AFTER_SECONDS,
        },
        "vector_metrics": {"type": "internal_metrics", "scrape_interval_secs": 10.0},
    }
    if redis_in_use(config):
        sources["redis_drain"] = {
            "type": "redis",
            "url": REDIS_URL,
            "key": config["shipping"]["redis"]["key"],
            "data_type": "list",
            "list": {"method": "lpop"},
            "decoding": {"codec": "json"},
        }
    return sources


def _spool_lean(config: Config) -> bool:
    """Events go to the spool (no OpenSearch endpoint) without their raw copies."""
    shipping = config["shipping"]
    return not shipping["opensearch"]["endpoint"] and not shipping["spool"]["keep_raw"]


def _spooled(config: Config) -> list[str]:
    """What goes to the spool's day files when no OpenSearch is configured."""
    return ["split.events", *(["redis_restore"] if redis_in_use(config) else [])]


def _transforms(config: Config) -> dict[str, Any]:
    transforms: dict[str, Any] = {
        "ecs": {
            "type": "remap",
            "inputs": ["eve", "canary", "imports"],
            "file": f"{CONTAINER_VRL_DIR}/ecs.vrl",
            "drop_on_error": True,
            "reroute_dropped": True,
        },
        "split": {
            "type": "route",
            "inputs": ["ecs"],
            "route": {
                "dead_letter": "exists(.ids2.dead_letter_reason)",
                "events": "!exists(.ids2.dead_letter_reason)",
            },
        },
    }
    if _spool_lean(config):
        transforms["spool_lean"] = {
            "type": "remap",
            "inputs": _spooled(config),
            "source": LEAN_VRL,
        }
    if redis_in_use(config):
        transforms["redis_restore"] = {
            "type": "remap",
            "inputs": ["redis_drain"],
            "source": RESTORE_VRL,
            "drop_on_error": True,
            "reroute_dropped": True,
        }
    return transforms


def _aws_auth(opensearch: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {"auth": {"strategy": "aws"}}
    region = opensearch["aws_region"] or endpoint_region(opensearch["endpoint"])
    if region:
        options["aws"] = {"region": region}
    return options


def _opensearch_sink(config: Config, inputs: list[str]) -> dict[str, Any]:
    shipping = config["shipping"]
    opensearch = shipping["opensearch"]
    sink: dict[str, Any] = {
        "type": "elasticsearch",
        "inputs": inputs,
        "endpoints": [opensearch["endpoint"]],
        "api_version": "v7",  # OpenSearch speaks the 7.x bulk API: no mapping types
        "mode": "bulk",
        "bulk": {"action": "index", "index": f"{opensearch['index_prefix']}-%Y.%m.%d"},
        "id_key": "ids2.doc_id",
        "compression": "gzip",
        "request_retry_partial": True,
        "batch": {
            "max_events": shipping["batch_max_events"],
            "timeout_secs": float(shipping["batch_timeout_seconds"]),
        },
        "buffer": {
            "type": "disk",
            "max_size": max(shipping["disk_buffer_mb"] * MIB, MIN_DISK_BUFFER_BYTES),
            "when_full": "block",
        },
        "request": {
            "retry_initial_backoff_secs": 1,
            "retry_max_duration_secs": 30,
            "timeout_secs": 30,
        },
        "tls": {
            "verify_certificate": opensearch["verify_tls"],
            "verify_hostname": opensearch["verify_tls"],
        },
    }
    if opensearch["ca_bundle"]:
        sink["tls"]["ca_file"] = CONTAINER_CA_BUNDLE
    if opensearch["auth"] == "aws":
        sink.update(_aws_auth(opensearch))
    elif opensearch["auth"] == "basic":
        sink["auth"] = {
            "strategy": "basic",
            "user": EnvironmentReference("IDS2_OPENSEARCH_USER"),
            "password": EnvironmentReference("IDS2_OPENSEARCH_PASSWORD"),
        }
    if not redis_in_use(config):
        sink["acknowledgements"] = {"enabled": True}
    return sink


def _file_sink(inputs: list[str], name: str) -> dict[str, Any]:
    return {
        "type": "file",
        "inputs": inputs,
        "path": f"{CONTAINER_SPOOL}/{name}-%Y.%m.%d.ndjson",
        "encoding": {"codec": "json"},
        "idle_timeout_secs": 30,
        "acknowledgements": {"enabled": True},
    }


def _sinks(config: Config) -> dict[str, Any]:
    shipping = config["shipping"]
    redis = redis_in_use(config)
    prefix = shipping["opensearch"]["index_prefix"]
    sinks: dict[str, Any] = {}
    if shipping["opensearch"]["endpoint"] and redis:
        sinks["redis_spill"] = {
            "type": "redis",
            "inputs": ["split.events"],
            "endpoint": REDIS_URL,
            "key": shipping["redis"]["key"],
            "data_type": "list",
            "list": {"method": "rpush"},
            "encoding": {"codec": "json"},
            "batch": {
                "max_events": shipping["batch_max_events"],
                "timeout_secs": REDIS_BATCH_TIMEOUT_SECONDS,
            },
            "request": {"concurrency": 1},  # one writer keeps the list in arrival order
            "acknowledgements": {"enabled": True},
        }
        sinks["events"] = _opensearch_sink(config, ["redis_restore"])
    elif shipping["opensearch"]["endpoint"]:
        sinks["events"] = _opensearch_sink(config, ["split.events"])
    else:
        inputs = ["spool_lean"] if _spool_lean(config) else _spooled(config)
        sinks["events"] = _file_sink(inputs, prefix)
    dead_letter_inputs = ["split.dead_letter", "ecs.dropped"]
    sinks["dead_letter"] = _file_sink(
        dead_letter_inputs + (["redis_restore.dropped"] if redis else []), "dead-letter"
    )
    sinks["prometheus"] = {
        "type": "prometheus_exporter",
        "inputs": ["vector_metrics"],
        "address": METRICS_ADDRESS,
    }
    return sinks


def vector_config(config: Config) -> dict[str, Any]:
    """The whole of vector.toml as data."""
    return {
        "data_dir": CONTAINER_DATA_DIR,
        "log_schema": {"timestamp_key": "@timestamp"},
        "api": {"enabled": True, "address": API_ADDRESS, "playground": False},
        "sources": _sources(config),
        "transforms": _transforms(config),
        "sinks": _sinks(config),
    }


def vector_environment(config: Config) -> str:
    """vector.env: basic-auth credentials and the AWS profile, for the container only."""
    lines = ["# Rendered by ids2 from /etc/ids2/config.yaml and the secrets file; root only."]
    opensearch = config["shipping"]["opensearch"]
    if opensearch["auth"] == "basic":
        source = config["shipping"]["secrets_file"]
        secrets = load_secrets(Path(source))
        for name, key in (("USER", "opensearch_username"), ("PASSWORD", "opensearch_password")):
            lines.append(f"IDS2_OPENSEARCH_{name}={env_safe(secrets[key], key, source)}")
    if opensearch["auth"] == "aws" and opensearch["aws_profile"]:
        lines.append(f"AWS_PROFILE={opensearch['aws_profile']}")
    return "\n".join(lines) + "\n"


VALIDATORS = {"vector.toml": check_structure}


def render(config: Config) -> list[RenderedFile]:
    """vector.toml (checked) and vector.env (0600)."""
    header = (
        "# Rendered by ids2 from /etc/ids2/config.yaml; edit that file, not this one.\n"
        "# Design, volume mounts and ports: docs/shipping.md.\n\n"
    )
    return [
        RenderedFile(
            "vector.toml", header + to_toml(vector_config(config)), VALIDATORS["vector.toml"]
        ),
        RenderedFile("vector.env", vector_environment(config), mode=0o600),
    ]
