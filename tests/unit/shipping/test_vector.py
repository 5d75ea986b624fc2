"""vector.toml as data: topology per mode, sink options as designed, secrets kept out."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from ids2.common.rendered import ValidationError
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.errors import ConfigError
from ids2.shipping.vector import (
    CANARY_REMOVE_AFTER_SECONDS,
    IMPORT_REMOVE_AFTER_SECONDS,
    MIN_DISK_BUFFER_BYTES,
    REMOVE_AFTER_MARGIN_SECONDS,
    render,
    vector_config,
    vector_environment,
)
from ids2.shipping.vector_check import EnvironmentReference, _check_inputs, _check_secrets, to_toml

MACHINE = Machine(4, 8192, frozenset({"eth0"}))
AWS_ENDPOINT = "https://search-sensors-abc.eu-west-1.es.amazonaws.com"


def config(tmp_path: Path | None = None, **shipping: Any) -> Config:
    document: dict[str, Any] = {"shipping": shipping}
    if tmp_path is not None:
        secrets = tmp_path / "secrets.yaml"
        secrets.write_text("opensearch_username: sensor\nopensearch_password: pa55-word\n")
        shipping["secrets_file"] = str(secrets)
    return validate_document(document, "test", MACHINE)


def parsed(document: dict[str, Any]) -> dict[str, Any]:
    """vector.toml for a whole config document, as Vector would parse the rendered text."""
    return tomllib.loads(to_toml(vector_config(validate_document(document, "test", MACHINE))))


def rendered(**shipping: Any) -> dict[str, Any]:
    """vector.toml for these shipping settings, parsed back."""
    return parsed({"shipping": shipping})


def test_no_endpoint_writes_daily_spool_files_and_drains_what_redis_holds() -> None:
    document = rendered()
    events = document["sinks"]["events"]
    assert events["type"] == "file"
    assert events["path"] == "/var/lib/ids2/spool/ids2-logs-%Y.%m.%d.ndjson"
    assert events["inputs"] == ["spool_lean"]
    assert document["transforms"]["spool_lean"]["inputs"] == ["split.events", "redis_restore"]
    assert "redis_spill" not in document["sinks"], "nothing is spilled without an endpoint"
    assert document["sources"]["redis_drain"]["key"] == "ids2:spill"


def test_with_an_endpoint_every_event_passes_the_redis_list_in_order() -> None:
    document = rendered(opensearch={"endpoint": "https://os.lan:9200"}, redis={"key": "k:1"})
    spill, drain = document["sinks"]["redis_spill"], document["sources"]["redis_drain"]
    assert spill["inputs"] == ["split.events"]
    assert (spill["key"], drain["key"]) == ("k:1", "k:1")
    assert (spill["list"]["method"], drain["list"]["method"]) == ("rpush", "lpop")  # FIFO
    assert spill["request"]["concurrency"] == 1
    assert spill["acknowledgements"] == {"enabled": True}, "file checkpoints wait for Redis"
    assert document["transforms"]["redis_restore"]["inputs"] == ["redis_drain"]
    events = document["sinks"]["events"]
    assert events["inputs"] == ["redis_restore"]
    assert "acknowledgements" not in events, "the redis source cannot acknowledge"


@pytest.mark.parametrize("section", ["shipping", "stack"])
def test_without_redis_events_go_straight_to_the_sink(section: str) -> None:
    document: dict[str, Any] = {
        "shipping": {"opensearch": {"endpoint": AWS_ENDPOINT, "auth": "aws"}}
    }
    document.setdefault(section, {})["redis"] = {"enabled": False}
    vector = parsed(document)
    assert not {"redis_drain", "redis_restore", "redis_spill"} & {
        *vector["sources"],
        *vector["transforms"],
        *vector["sinks"],
    }
    assert vector["sinks"]["events"]["inputs"] == ["split.events"]
    assert vector["sinks"]["events"]["acknowledgements"] == {"enabled": True}
    assert vector["sinks"]["dead_letter"]["inputs"] == ["split.dead_letter", "ecs.dropped"]


def test_opensearch_sink_as_designed() -> None:
    document = rendered(
        opensearch={"endpoint": AWS_ENDPOINT, "auth": "aws", "index_prefix": "lab-a"},
        batch_max_events=500,
        batch_timeout_seconds=0.5,
        disk_buffer_mb=512,
    )
    sink = document["sinks"]["events"]
    assert sink["type"] == "elasticsearch" and sink["api_version"] == "v7"
    assert sink["bulk"] == {"action": "index", "index": "lab-a-%Y.%m.%d"}
    assert sink["id_key"] == "ids2.doc_id" and sink["compression"] == "gzip"
    assert sink["request_retry_partial"] is True
    assert sink["batch"] == {"max_events": 500, "timeout_secs": 0.5}
    assert sink["buffer"] == {"type": "disk", "max_size": 512 * 1024 * 1024, "when_full": "block"}
    assert sink["tls"] == {"verify_certificate": True, "verify_hostname": True}


def test_defaults_ship_within_a_second_and_meet_vectors_smallest_disk_buffer() -> None:
    sink = rendered(opensearch={"endpoint": "https://os.lan:9200"})["sinks"]["events"]
    assert sink["batch"]["timeout_secs"] <= 1.0
    assert sink["buffer"]["max_size"] == MIN_DISK_BUFFER_BYTES > 256 * 1024 * 1024


def test_aws_region_comes_from_the_config_else_the_endpoint() -> None:
    named = rendered(opensearch={"endpoint": AWS_ENDPOINT, "auth": "aws"})
    assert named["sinks"]["events"]["auth"] == {"strategy": "aws"}
    assert named["sinks"]["events"]["aws"] == {"region": "eu-west-1"}
    custom = "https://logs.example.org"
    configured = rendered(opensearch={"endpoint": custom, "auth": "aws", "aws_region": "us-east-2"})
    assert configured["sinks"]["events"]["aws"] == {"region": "us-east-2"}
    unknown = rendered(opensearch={"endpoint": custom, "auth": "aws"})
    assert "aws" not in unknown["sinks"]["events"]  # Vector asks the profile


def test_aws_profile_reaches_vector_through_its_environment() -> None:
    settings = config(opensearch={"endpoint": AWS_ENDPOINT, "auth": "aws", "aws_profile": "ids"})
    assert "AWS_PROFILE=ids\n" in vector_environment(settings)
    assert "ids" not in str(vector_config(settings)["sinks"]["events"].get("auth"))


def test_ca_bundle_and_lab_mode_tls() -> None:
    sink = rendered(
        opensearch={"endpoint": "https://os.lan:9200", "ca_bundle": "/etc/ids2/ca.pem"}
    )["sinks"]["events"]
    assert sink["tls"]["ca_file"] == "/etc/vector/ca-bundle.pem"
    lab = rendered(opensearch={"endpoint": "https://os.lan:9200", "verify_tls": False})
    assert lab["sinks"]["events"]["tls"] == {"verify_certificate": False, "verify_hostname": False}


def test_basic_auth_credentials_only_in_the_private_env_file(tmp_path: Path) -> None:
    settings = config(tmp_path, opensearch={"endpoint": "https://os.lan:9200", "auth": "basic"})
    toml_file, env_file = render(settings)
    auth = tomllib.loads(toml_file.content)["sinks"]["events"]["auth"]
    assert auth == {
        "strategy": "basic",
        "user": "${IDS2_OPENSEARCH_USER}",
        "password": "${IDS2_OPENSEARCH_PASSWORD}",
    }
    assert "pa55-word" not in toml_file.content
    assert "IDS2_OPENSEARCH_PASSWORD=pa55-word\n" in env_file.content
    assert (env_file.name, env_file.mode) == ("vector.env", 0o600)


def test_a_password_that_would_break_interpolation_is_refused(tmp_path: Path) -> None:
    settings = config(tmp_path, opensearch={"endpoint": "https://os.lan:9200", "auth": "basic"})
    Path(settings["shipping"]["secrets_file"]).write_text('opensearch_password: "a\\"b"\n')
    with pytest.raises(ConfigError, match="at 'opensearch_password': expected no"):
        vector_environment(settings)


@pytest.mark.parametrize("rotate", [10, 60, 3600])
def test_eve_files_are_deleted_only_after_suricata_has_moved_on(rotate: int) -> None:
    document = parsed({"ramdisk": {"rotate_interval_seconds": rotate}})
    sources = document["sources"]
    eve, canary, imports = sources["eve"], sources["canary"], sources["imports"]
    assert eve["include"] == ["/mnt/ram_logs/eve-*.json"]
    assert eve["remove_after_secs"] == rotate + REMOVE_AFTER_MARGIN_SECONDS > rotate
    assert canary["include"] == ["/mnt/ram_logs/canary/*.json"]
    assert canary["remove_after_secs"] == CANARY_REMOVE_AFTER_SECONDS
    # ids2 import-pcap's files, each renamed into place whole (not matched before: *.part)
    assert imports["include"] == ["/mnt/ram_logs/import/*.json"]
    assert imports["remove_after_secs"] == IMPORT_REMOVE_AFTER_SECONDS
    assert document["transforms"]["ecs"]["inputs"] == ["eve", "canary", "imports"]
    for source in (eve, canary, imports):
        assert source["fingerprint"]["strategy"] == "checksum"  # inodes repeat after a reboot
        assert source["read_from"] == "beginning"


def test_state_metrics_and_api_where_the_compose_file_expects_them() -> None:
    document = rendered()
    assert document["data_dir"] == "/var/lib/vector"
    assert document["log_schema"] == {"timestamp_key": "@timestamp"}
    assert document["api"] == {"enabled": True, "address": "0.0.0.0:8686", "playground": False}
    assert document["sinks"]["prometheus"] == {
        "type": "prometheus_exporter",
        "inputs": ["vector_metrics"],
        "address": "0.0.0.0:9598",
    }
    assert document["transforms"]["ecs"]["file"] == "/etc/vector/vrl/ecs.vrl"


def test_to_toml_quotes_what_toml_and_vector_would_misread() -> None:
    document = {
        "a": {"weird key": "x", "price": "$5 and ${HOME}", "ref": EnvironmentReference("SECRET")},
        "code": "line one\nline two\n",
        "numbers": [1, 2.5, True],
    }
    text = to_toml(document)
    parsed = tomllib.loads(text)
    assert parsed["a"]["weird key"] == "x"
    assert parsed["a"]["price"] == "$$5 and $${HOME}", "Vector reads $$ as one $"
    assert parsed["a"]["ref"] == "${SECRET}"
    assert parsed["code"] == "line one\nline two\n"
    assert parsed["numbers"] == [1, 2.5, True]


def test_every_mode_is_wired() -> None:
    for shipping in (
        {},
        {"opensearch": {"endpoint": AWS_ENDPOINT, "auth": "aws"}},
        {"opensearch": {"endpoint": "https://os.lan"}, "redis": {"enabled": False}},
    ):
        _check_inputs(rendered(**shipping))


def test_an_input_nothing_produces_is_refused() -> None:
    document = {
        "sources": {"a": {"type": "file"}},
        "transforms": {"r": {"type": "route", "inputs": ["a"], "route": {"x": "true"}}},
        "sinks": {"ok": {"inputs": ["r.x", "r._unmatched"]}, "bad": {"inputs": ["r.dropped"]}},
    }
    with pytest.raises(ValidationError, match=r"sinks\.bad reads \['r\.dropped'\]"):
        _check_inputs(document)
    with pytest.raises(ValidationError, match=r"sinks\.lonely has no inputs"):
        _check_inputs({"sinks": {"lonely": {"type": "console"}}})


def test_a_literal_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"sinks\.events\.auth\.password must be"):
        _check_secrets({"sinks": {"events": {"auth": {"password": "hunter2"}}}}, "")
    _check_secrets({"sinks": {"events": {"auth": {"password": "${IDS2_X}"}}}}, "")
