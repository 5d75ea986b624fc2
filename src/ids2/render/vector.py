"""vector.toml for the stack's Vector, and vector.env (0600) with its credentials.

Vector reads every EVE file on the RAM disk (rotated ones and the canary directory),
deletes each once fully read, maps it to ECS with stack/vector/ecs.vrl, sends lines that
are not EVE to a dead-letter file, and ships the rest to OpenSearch (disk buffer that
blocks, gzip, deterministic ids) or, with no endpoint, to daily NDJSON spool files.
Paths are the container's: see the volume mounts in stack/docker-compose.yml.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from ids2.config.load import Config, load_secrets
from ids2.render import RenderedFile, ValidationError, check_with_tool, tool_missing_note
from ids2.render.stack import stack_dir

RAMDISK = "/mnt/ram_logs"
SPOOL = "/var/lib/ids2/spool"
VRL_DIR = "/etc/vector/vrl"
MIN_DISK_BUFFER_BYTES = 268_435_488  # Vector refuses smaller disk buffers
MIB = 1024 * 1024


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(value)  # a TOML basic string


def to_toml(document: dict[str, Any], prefix: str = "") -> str:
    """TOML for nested tables of scalars and lists (all vector.toml needs)."""
    scalars = {k: v for k, v in document.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in document.items() if isinstance(v, dict)}
    lines = [f"[{prefix}]"] if prefix and scalars else []
    lines += [f"{key} = {_toml_value(value)}" for key, value in scalars.items()]
    text = "\n".join(lines) + ("\n\n" if lines else "")
    for key, table in tables.items():
        text += to_toml(table, f"{prefix}.{key}" if prefix else key)
    return text


def _opensearch_sink(config: Config) -> dict[str, Any]:
    shipping = config["shipping"]
    opensearch = shipping["opensearch"]
    sink: dict[str, Any] = {
        "type": "elasticsearch",
        "inputs": ["split.events"],
        "endpoints": [opensearch["endpoint"]],
        "api_version": "v7",
        "mode": "bulk",
        "id_key": "ids2.doc_id",
        "compression": "gzip",
        "request_retry_partial": True,
        "bulk": {"action": "index", "index": f"{opensearch['index_prefix']}-%Y.%m.%d"},
        "batch": {
            "max_events": shipping["batch_max_events"],
            "timeout_secs": float(shipping["batch_timeout_seconds"]),
        },
        "buffer": {
            "type": "disk",
            "when_full": "block",
            "max_size": max(shipping["disk_buffer_mb"] * MIB, MIN_DISK_BUFFER_BYTES),
        },
        "request": {
            "retry_initial_backoff_secs": 1,
            "retry_max_duration_secs": 60,
            "timeout_secs": 30,
        },
        "tls": {
            "verify_certificate": opensearch["verify_tls"],
            "verify_hostname": opensearch["verify_tls"],
        },
    }
    if opensearch["ca_bundle"]:
        sink["tls"]["ca_file"] = "/etc/ids2/ca-bundle.pem"
    if opensearch["auth"] == "aws":
        sink["auth"] = {"strategy": "aws"}
        if opensearch["aws_region"]:
            sink["aws"] = {"region": opensearch["aws_region"]}
    elif opensearch["auth"] == "basic":
        sink["auth"] = {
            "strategy": "basic",
            "user": "${IDS2_OPENSEARCH_USER}",
            "password": "${IDS2_OPENSEARCH_PASSWORD}",
        }
    return sink


def vector_config(config: Config) -> dict[str, Any]:
    """The whole configuration as data."""
    prefix = config["shipping"]["opensearch"]["index_prefix"]
    events_sink = (
        _opensearch_sink(config)
        if config["shipping"]["opensearch"]["endpoint"]
        else {
            "type": "file",
            "inputs": ["split.events"],
            "path": f"{SPOOL}/{prefix}-%Y.%m.%d.ndjson",
            "encoding": {"codec": "json"},
        }
    )
    return {
        "data_dir": "/var/lib/vector",
        "log_schema": {"timestamp_key": "@timestamp"},
        "api": {"enabled": True, "address": "0.0.0.0:8686"},
        "sources": {
            "eve": {
                "type": "file",
                "include": [f"{RAMDISK}/eve*.json", f"{RAMDISK}/canary/*.json"],
                "read_from": "beginning",
                "remove_after_secs": 10,
                "max_line_bytes": 4 * MIB,
                "glob_minimum_cooldown_ms": 500,
                "fingerprint": {"strategy": "device_and_inode"},
            },
            "vector_metrics": {"type": "internal_metrics"},
        },
        "transforms": {
            "ecs": {
                "type": "remap",
                "inputs": ["eve"],
                "file": f"{VRL_DIR}/ecs.vrl",
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
        },
        "sinks": {
            "events": events_sink,
            "dead_letter": {
                "type": "file",
                "inputs": ["split.dead_letter", "ecs.dropped"],
                "path": f"{SPOOL}/dead-letter-%Y.%m.%d.ndjson",
                "encoding": {"codec": "json"},
            },
            "prometheus": {
                "type": "prometheus_exporter",
                "inputs": ["vector_metrics"],
                "address": "0.0.0.0:9598",
            },
        },
    }


def check_structure(path: Path) -> str:
    """Every input exists, every VRL file compiles (vrl-python), `vector validate` if present."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValidationError(f"vector.toml is not valid TOML: {error}") from None
    outputs = set(document.get("sources", {}))
    for name, transform in document.get("transforms", {}).items():
        outputs.add(name)
        outputs.update(f"{name}.{route}" for route in transform.get("route", {}))
        if transform.get("reroute_dropped"):
            outputs.add(f"{name}.dropped")
    for kind in ("transforms", "sinks"):
        for name, component in document.get(kind, {}).items():
            unknown = set(component.get("inputs", [])) - outputs
            if unknown:
                raise ValidationError(
                    f"vector.toml: {kind}.{name} reads {sorted(unknown)}, which nothing produces"
                )
    notes = [
        _compile_vrl(component["file"])
        for component in document.get("transforms", {}).values()
        if "file" in component
    ]
    missing = tool_missing_note("vector")
    if missing is None:
        notes.append(
            check_with_tool(
                ["vector", "validate", "--no-environment", str(path)], "vector validate"
            )
        )
    else:
        notes.append(missing)
    return "; ".join(["inputs wired", *notes])


def _compile_vrl(container_path: str) -> str:
    local = stack_dir() / "vector" / Path(container_path).name
    try:
        import vrl_python
    except ImportError:
        return f"{local.name}: not compiled (vrl-python not installed)"
    try:
        vrl_python.VRLRuntime().compile(local.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ValidationError(f"{local} does not compile:\n{error}") from None
    return f"{local.name} compiles"


def render(config: Config) -> list[RenderedFile]:
    """vector.toml (checked) and vector.env (0600, basic-auth credentials when used)."""
    header = "# Rendered by ids2 from /etc/ids2/config.yaml; edit that file, not this one.\n"
    secrets = load_secrets(Path(config["shipping"]["secrets_file"]))
    environment = ""
    if config["shipping"]["opensearch"]["auth"] == "basic":
        environment = (
            f"IDS2_OPENSEARCH_USER={secrets['opensearch_username']}\n"
            f"IDS2_OPENSEARCH_PASSWORD={secrets['opensearch_password']}\n"
        )
    return [
        RenderedFile("vector.toml", header + to_toml(vector_config(config)), check_structure),
        RenderedFile("vector.env", environment, mode=0o600),
    ]
