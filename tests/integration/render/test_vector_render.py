"""vector.toml as rendered: wiring, sinks as designed, secrets kept out, VRL compiled."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from ids2.apply import apply_files
from ids2.config.load import Config, validate_document
from ids2.config.machine import Machine
from ids2.render import ValidationError
from ids2.render.vector import MIN_DISK_BUFFER_BYTES, check_structure, render

pytestmark = pytest.mark.integration
MACHINE = Machine(4, 8192, frozenset({"eth0"}))


def config(tmp_path: Path, **opensearch: Any) -> Config:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("opensearch_username: sensor\nopensearch_password: pa55-word\n")
    return validate_document(
        {"shipping": {"opensearch": opensearch, "secrets_file": str(secrets)}}, "test", MACHINE
    )


def rendered(tmp_path: Path, **opensearch: Any) -> tuple[dict[str, Any], Path]:
    out = tmp_path / "rendered"
    report = apply_files(render(config(tmp_path, **opensearch)), out)
    assert report.notes["vector.toml"].startswith("inputs wired; ecs.vrl compiles")
    return tomllib.loads((out / "vector.toml").read_text()), out


def test_no_endpoint_ships_to_daily_spool_files(tmp_path: Path) -> None:
    document, _ = rendered(tmp_path)
    events = document["sinks"]["events"]
    assert events["type"] == "file"
    assert events["path"] == "/var/lib/ids2/spool/ids2-logs-%Y.%m.%d.ndjson"
    source = document["sources"]["eve"]
    assert source["remove_after_secs"] > 0, "read files must be deleted to spare the RAM disk"
    assert "/mnt/ram_logs/canary/*.json" in source["include"]


def test_aws_sink_as_designed(tmp_path: Path) -> None:
    document, _ = rendered(
        tmp_path,
        endpoint="https://search-x.eu-west-1.es.amazonaws.com",
        auth="aws",
        aws_region="eu-west-1",
    )
    sink = document["sinks"]["events"]
    assert sink["type"] == "elasticsearch" and sink["auth"] == {"strategy": "aws"}
    assert sink["aws"] == {"region": "eu-west-1"}
    assert sink["bulk"] == {"action": "index", "index": "ids2-logs-%Y.%m.%d"}
    assert sink["id_key"] == "ids2.doc_id" and sink["compression"] == "gzip"
    assert sink["batch"]["timeout_secs"] <= 1.0
    assert sink["buffer"] == {
        "type": "disk",
        "when_full": "block",
        "max_size": MIN_DISK_BUFFER_BYTES,
    }
    assert sink["request_retry_partial"] is True
    assert sink["tls"]["verify_certificate"] is True


def test_basic_auth_password_only_in_the_private_env_file(tmp_path: Path) -> None:
    document, out = rendered(tmp_path, endpoint="https://os.lan:9200", auth="basic")
    assert document["sinks"]["events"]["auth"]["password"] == "${IDS2_OPENSEARCH_PASSWORD}"
    assert "pa55-word" not in (out / "vector.toml").read_text()
    assert "IDS2_OPENSEARCH_PASSWORD=pa55-word\n" in (out / "vector.env").read_text()
    assert (out / "vector.env").stat().st_mode & 0o777 == 0o600


def test_dead_letters_and_dropped_events_have_a_destination(tmp_path: Path) -> None:
    document, _ = rendered(tmp_path)
    assert set(document["sinks"]["dead_letter"]["inputs"]) == {"split.dead_letter", "ecs.dropped"}


def test_a_dangling_input_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "vector.toml"
    bad.write_text('[sources.a]\ntype = "file"\n[sinks.b]\ntype = "console"\ninputs = ["nope"]\n')
    with pytest.raises(ValidationError, match=r"sinks\.b reads \['nope'\]"):
        check_structure(bad)
